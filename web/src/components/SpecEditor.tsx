// Edit a saved campaign's spec (JSON or YAML): saving makes a new revision; the API's field errors show with
// their paths (after launch, goal and holdout edits are refused as frozen).
import { useState } from 'react';
import { api, ApiError, type Campaign, type Issue } from '../api';

export function SpecEditor({ campaign, onSaved }: { campaign: Campaign; onSaved: () => void }) {
  const [text, setText] = useState(() => JSON.stringify(campaign.spec, null, 2));
  const [error, setError] = useState<string | null>(null);
  const [issues, setIssues] = useState<Issue[]>([]);
  const [busy, setBusy] = useState(false);

  const save = async () => {
    setBusy(true);
    setError(null);
    setIssues([]);
    try {
      const t = text.trim();
      const spec: unknown = t.startsWith('{') ? JSON.parse(t) : (await import('yaml')).parse(t);
      await api.updateCampaign(campaign.id, spec);
      onSaved();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      if (e instanceof ApiError) setIssues(e.issues);
    } finally {
      setBusy(false);
    }
  };

  return (
    <details className="editor">
      <summary>Edit the spec (revision {campaign.revision})</summary>
      <label htmlFor="edit-spec">Campaign spec</label>
      <textarea
        id="edit-spec"
        className="spec"
        rows={20}
        spellCheck={false}
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
      <div className="actions">
        <button type="button" className="primary" disabled={busy} onClick={() => void save()}>
          Save revision
        </button>
      </div>
      {error && (
        <div role="alert" className="error">
          <p>{error}</p>
          {issues.length > 0 && (
            <ul>
              {issues.map((i, k) => (
                <li key={k}>
                  <code>{i.path}</code> {i.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </details>
  );
}
