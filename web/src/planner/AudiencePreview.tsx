// The audience's size as it is edited (a pause of 0.6 s): who matches, who the removals take out
// (suppressed, unsubscribed, unreachable, excluded), and the share of the workspace's reachable contacts.
import { useEffect, useState } from 'react';
import { ApiError } from '../api';
import { fmtNumber, fmtPercent, label } from '../format';
import { plannerApi, type AudiencePreview as Preview } from './planner-api';

export function AudiencePreview({
  body,
  onSample,
}: {
  body: unknown;
  onSample: (p: Preview | null) => void;
}) {
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const key = JSON.stringify(body);

  useEffect(() => {
    let current = true;
    setBusy(true);
    const timer = setTimeout(() => {
      plannerApi.previewAudience(JSON.parse(key) as unknown).then(
        (p) => {
          if (!current) return;
          setPreview(p);
          setError(null);
          setBusy(false);
          onSample(p);
        },
        (e: unknown) => {
          if (!current) return;
          setBusy(false);
          setError(
            e instanceof ApiError && e.issues.length
              ? e.issues.map((i) => `${i.path.replace(/^body\./, 'audience.')}: ${i.message}`).join('; ')
              : e instanceof Error
                ? e.message
                : String(e),
          );
        },
      );
    }, 600);
    return () => {
      current = false;
      clearTimeout(timer);
    };
    // onSample is the page's stable setter; only the audience decides when to ask again.
  }, [key]);

  return (
    <aside className="audience-preview" aria-labelledby="audience-size-heading" aria-busy={busy}>
      <h3 id="audience-size-heading">Audience size</h3>
      {error && <p className="field-error">Not previewed: {error}</p>}
      {!preview && !error && <p className="muted">Counting…</p>}
      {preview && (
        <>
          <p className="big" aria-live="polite">
            <output id="audience-count">{fmtNumber(preview.count)}</output> contacts
          </p>
          <p className="muted small">
            {fmtNumber(preview.matched)} match the rules; {fmtNumber(preview.reachable)} reachable by{' '}
            {preview.channel === 'none' ? 'any channel' : preview.channel} in the workspace (
            {fmtPercent(preview.share)}).
          </p>
          {preview.removed.length > 0 ? (
            <table className="compact">
              <caption>Removed before sending</caption>
              <thead>
                <tr>
                  <th scope="col">Reason</th>
                  <th scope="col">Contacts</th>
                </tr>
              </thead>
              <tbody>
                {preview.removed.map((r) => (
                  <tr key={r.reason}>
                    <td>{label(r.reason)}</td>
                    <td className="num">{fmtNumber(r.count)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="muted small">No one removed by suppression or reachability.</p>
          )}
          {busy && <p className="muted small">Updating…</p>}
        </>
      )}
    </aside>
  );
}
