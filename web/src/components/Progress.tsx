// Goal progress bar with the pacing status next to it.
import { fmtNumber, label } from '../format';

export function GoalProgress({
  actual,
  target,
  status,
  name,
}: {
  actual: number;
  target: number;
  status?: string | null;
  name: string;
}) {
  const share = target > 0 ? actual / target : 0;
  return (
    <div className="progress-cell">
      <progress
        max={1}
        value={Math.min(1, share)}
        aria-label={`${name}: ${fmtNumber(actual)} of ${fmtNumber(target)}`}
      />
      <span>
        {fmtNumber(actual)} / {fmtNumber(target)}
      </span>
      {status && <span className={`pace pace-${status}`}>{label(status)}</span>}
    </div>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`status status-${status}`}>{status}</span>;
}

export function Findings({
  findings,
}: {
  findings: Array<{ severity: string; message: string; path: string; code?: string }>;
}) {
  if (findings.length === 0) return <p className="ok">No findings: the guardrails pass.</p>;
  return (
    <ul className="findings">
      {findings.map((f, i) => (
        <li key={i} className={`finding finding-${f.severity}`}>
          <strong>{f.severity}</strong> <code>{f.path || '(campaign)'}</code> {f.message}
        </li>
      ))}
    </ul>
  );
}

/** A long action in flight (a launch enrolling a large audience): an indeterminate bar saying what it does. */
export function Working({ text }: { text: string }) {
  return (
    <div role="status" className="progress-cell working">
      <progress aria-label={text} />
      <span>{text}</span>
    </div>
  );
}
