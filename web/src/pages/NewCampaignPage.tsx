// Create a campaign: paste or edit its spec (JSON or YAML), check it against the guardrails, save it as a draft.
import { useEffect, useState } from 'react';
import { api, ApiError, type Finding, type Issue } from '../api';
import { Findings } from '../components/Progress';
import { navigate } from '../router';

const EXAMPLE = `id: spring-webinar
name: Spring webinar invitations
objective: leads
owner: marketing@example.com
goal: { metric: conversions, event: webinar_registered, target: 200, lookback_days: 21 }
measurement: { holdout_percent: 10 }
window: { start: 2027-03-01T09:00, end: 2027-03-31T17:00, timezone: UTC }
audience:
  segment: { all: [{ attribute: lifecycle_stage, op: eq, value: lead }] }
channels: [email]
sequence:
  - { id: invite, channel: email, delay: 0d, subject: Join our spring webinar, body: 'Hi {{ contact.first_name }}' }
`;

async function parseSpec(text: string): Promise<unknown> {
  const t = text.trim();
  if (t.startsWith('{')) return JSON.parse(t) as unknown;
  // YAML is parsed by a chunk loaded only on this page.
  const { parse } = await import('yaml');
  return parse(t) as unknown;
}

export function NewCampaignPage() {
  const [text, setText] = useState(EXAMPLE);
  const [findings, setFindings] = useState<Finding[] | null>(null);
  const [issues, setIssues] = useState<Issue[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const [live, setLive] = useState<string | null>(null);

  // The guardrails follow the text as it is edited (a pause of 0.7 s), like pressing Check.
  useEffect(() => {
    let current = true;
    const timer = setTimeout(() => {
      parseSpec(text)
        .then((spec) => api.lintSpec(spec))
        .then(
          (r) => {
            if (!current) return;
            setFindings(r.findings);
            setLive(null);
          },
          (e: unknown) => {
            if (!current) return;
            const first = e instanceof ApiError ? e.issues[0] : undefined;
            setLive(first ? `${first.path}: ${first.message}` : e instanceof Error ? e.message : String(e));
          },
        );
    }, 700);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [text]);

  const run = async (action: 'check' | 'save') => {
    setBusy(true);
    setError(null);
    setIssues([]);
    try {
      const spec = await parseSpec(text).catch((e: unknown) => {
        throw new ApiError(
          0,
          'parse',
          `the spec is not valid ${text.trim().startsWith('{') ? 'JSON' : 'YAML'}: ${e instanceof Error ? e.message : String(e)}`,
        );
      });
      if (action === 'check') {
        setFindings((await api.lintSpec(spec)).findings);
      } else {
        const c = await api.createCampaign(spec);
        navigate(`/campaigns/${encodeURIComponent(c.id)}`);
      }
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      if (e instanceof ApiError) setIssues(e.issues);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <h1>New campaign</h1>
      <p className="muted">
        Paste a campaign file (YAML or JSON, as in <code>examples/</code>). Check runs the launch guardrails;
        Save creates a draft.
      </p>
      <label htmlFor="spec">Campaign spec</label>
      <textarea
        id="spec"
        className="spec"
        rows={22}
        spellCheck={false}
        value={text}
        onChange={(e) => setText(e.target.value)}
        aria-describedby={error ? 'spec-error' : undefined}
      />
      <div className="actions">
        <button type="button" disabled={busy} onClick={() => void run('check')}>
          Check
        </button>
        <button type="button" className="primary" disabled={busy} onClick={() => void run('save')}>
          Save draft
        </button>
      </div>
      {error && (
        <div id="spec-error" role="alert" className="error">
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
      {live && (
        <p className="warn small" aria-live="polite">
          Not checked yet: {live}
        </p>
      )}
      {findings && (
        <>
          <h2>Guardrail findings</h2>
          <Findings findings={findings} />
        </>
      )}
    </section>
  );
}
