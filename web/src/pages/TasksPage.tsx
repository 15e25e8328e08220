// Tasks: the sales-task inbox per assignee, oldest due first, 10 a page; complete with an outcome, skip
// with a reason, or move the due time. Filter and action errors show next to the field they name.
import { useState, type FormEvent } from 'react';
import {
  api,
  TASK_OUTCOMES,
  TASK_STATUSES,
  type Task,
  type TaskOutcome,
  type TaskQuery,
  type TaskStatus,
} from '../api';
import { FieldError, formError, issuesFor, issuesOf, Pager } from '../components/Paging';
import { filterQuery, usePagedList } from '../components/usePagedList';
import { fmtInstant, label } from '../format';
import { Link } from '../router';

const PAGE = '10';

export function contactName(c: {
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  id: string;
}): string {
  const name = [c.first_name, c.last_name].filter(Boolean).join(' ');
  return name || c.email || c.id;
}

interface Filters {
  assignee: string;
  status: TaskStatus | '';
  due_before: string;
  overdue: '' | 'true' | 'false';
}

export function TasksPage() {
  const [draft, setDraft] = useState<Filters>({ assignee: '', status: 'open', due_before: '', overdue: '' });
  const {
    apply: applyFilters,
    reload,
    result,
    error,
    pages,
  } = usePagedList(
    (f: Filters, cursor) => api.listTasks(filterQuery({ ...f }, PAGE, cursor) as TaskQuery),
    draft,
  );
  const [selected, setSelected] = useState<Task | null>(null);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    applyFilters({ ...draft });
  };
  const issues = issuesOf(error);
  const fieldIds = ['assignee', 'status', 'due_before', 'overdue'];
  const general = formError(error, fieldIds);

  return (
    <section>
      <h1>Tasks</h1>
      <form className="filters" onSubmit={apply} aria-label="Task filters">
        <div className="field">
          <label>
            Assignee
            <input
              value={draft.assignee}
              onChange={(e) => setDraft({ ...draft, assignee: e.target.value })}
              placeholder="user id, me or unassigned"
              aria-describedby="assignee-error"
              aria-invalid={issuesFor(issues, 'assignee').length > 0 || undefined}
            />
          </label>
          <FieldError id="assignee-error" messages={issuesFor(issues, 'assignee')} />
        </div>
        <label>
          Status
          <select
            value={draft.status}
            onChange={(e) => setDraft({ ...draft, status: e.target.value as TaskStatus | '' })}
          >
            <option value="">any</option>
            {TASK_STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <div className="field">
          <label>
            Due before
            <input
              value={draft.due_before}
              onChange={(e) => setDraft({ ...draft, due_before: e.target.value })}
              placeholder="2027-01-08T17:00Z"
              aria-describedby="due_before-error"
              aria-invalid={issuesFor(issues, 'due_before').length > 0 || undefined}
            />
          </label>
          <FieldError id="due_before-error" messages={issuesFor(issues, 'due_before')} />
        </div>
        <label>
          Overdue
          <select
            value={draft.overdue}
            onChange={(e) => setDraft({ ...draft, overdue: e.target.value as Filters['overdue'] })}
          >
            <option value="">any</option>
            <option value="true">overdue</option>
            <option value="false">not overdue</option>
          </select>
        </label>
        <button type="submit">Apply</button>
      </form>
      {general && (
        <p role="alert" className="error">
          {general}
        </p>
      )}
      {!result && !error && <p className="muted">Loading tasks…</p>}
      {result && result.data.length === 0 && <p className="muted">No tasks match.</p>}
      {result && result.data.length > 0 && (
        <table className="tasks">
          <caption className="visually-hidden">Tasks, oldest due first</caption>
          <thead>
            <tr>
              <th scope="col">Contact</th>
              <th scope="col">Task</th>
              <th scope="col">Due</th>
              <th scope="col">Assignee</th>
              <th scope="col">Status</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            {result.data.map((t) => (
              <tr key={t.id} className={t.overdue ? 'overdue' : undefined}>
                <td>
                  <Link href={`/contacts/${encodeURIComponent(t.contact.id)}`}>{contactName(t.contact)}</Link>
                  <div className="muted small">{t.contact.phone ?? t.contact.email ?? ''}</div>
                </td>
                <td>
                  {label(t.type)}
                  <div className="muted small">
                    {t.campaign_id} · {t.step_id}
                  </div>
                </td>
                <td>
                  {fmtInstant(t.due_at)}
                  {t.overdue && <span className="flag-overdue"> overdue</span>}
                </td>
                <td>{t.assignee.name ?? 'unassigned'}</td>
                <td>
                  {t.status}
                  {t.outcome && <div className="muted small">{label(t.outcome)}</div>}
                </td>
                <td>
                  {t.status === 'open' ? (
                    <button
                      type="button"
                      onClick={() => setSelected(t)}
                      aria-label={`Work on the ${label(t.type)} task for ${contactName(t.contact)}`}
                    >
                      Work on
                    </button>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager
        page={pages.page}
        nextCursor={result?.next_cursor}
        onNext={pages.next}
        onPrevious={pages.previous}
        label="Task pages"
      />
      {selected && (
        <TaskActions
          key={selected.id}
          task={selected}
          onDone={(t) => {
            setSelected(t.status === 'open' ? t : null);
            reload();
          }}
          onClose={() => setSelected(null)}
        />
      )}
    </section>
  );
}

function TaskActions({
  task,
  onDone,
  onClose,
}: {
  task: Task;
  onDone: (t: Task) => void;
  onClose: () => void;
}) {
  const [outcome, setOutcome] = useState<TaskOutcome | ''>('');
  const [note, setNote] = useState('');
  const [reason, setReason] = useState('');
  const [dueAt, setDueAt] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const act = async (run: () => Promise<Task>) => {
    setBusy(true);
    setError(null);
    try {
      onDone(await run());
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const issues = issuesOf(error);
  const general = formError(error, ['outcome', 'note', 'reason', 'due_at']);
  const who = contactName(task.contact);

  return (
    <section aria-labelledby="task-actions" className="panel">
      <h2 id="task-actions">
        {label(task.type)} for {who}
      </h2>
      {task.instructions && <p>{task.instructions}</p>}
      <p className="muted small">
        Due {fmtInstant(task.due_at)}, overdue after {fmtInstant(task.overdue_at)}, expires{' '}
        {fmtInstant(task.expires_at)}.
      </p>
      {general && (
        <p role="alert" className="error">
          {general}
        </p>
      )}
      <form
        className="stack"
        aria-label="Complete the task"
        onSubmit={(e) => {
          e.preventDefault();
          void act(() =>
            api.completeTask(task.id, {
              outcome: outcome as TaskOutcome,
              ...(note.trim() ? { note: note.trim() } : {}),
            }),
          );
        }}
      >
        <div className="field">
          <label>
            Outcome
            <select
              value={outcome}
              onChange={(e) => setOutcome(e.target.value as TaskOutcome | '')}
              aria-describedby="outcome-error"
            >
              <option value="">choose…</option>
              {TASK_OUTCOMES.map((o) => (
                <option key={o} value={o}>
                  {label(o)}
                </option>
              ))}
            </select>
          </label>
          <FieldError id="outcome-error" messages={issuesFor(issues, 'outcome')} />
        </div>
        <div className="field">
          <label>
            Note
            <textarea rows={3} value={note} onChange={(e) => setNote(e.target.value)} />
          </label>
          <FieldError id="note-error" messages={issuesFor(issues, 'note')} />
        </div>
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            Complete
          </button>
        </div>
      </form>
      <form
        className="stack"
        aria-label="Skip the task"
        onSubmit={(e) => {
          e.preventDefault();
          void act(() => api.skipTask(task.id, reason.trim() ? { reason: reason.trim() } : {}));
        }}
      >
        <div className="field">
          <label>
            Reason for skipping
            <input value={reason} onChange={(e) => setReason(e.target.value)} />
          </label>
          <FieldError id="reason-error" messages={issuesFor(issues, 'reason')} />
        </div>
        <div className="actions">
          <button type="submit" disabled={busy}>
            Skip
          </button>
        </div>
      </form>
      <form
        className="stack"
        aria-label="Reschedule the task"
        onSubmit={(e) => {
          e.preventDefault();
          void act(() => api.rescheduleTask(task.id, dueAt.trim()));
        }}
      >
        <div className="field">
          <label>
            New due time
            <input
              value={dueAt}
              onChange={(e) => setDueAt(e.target.value)}
              placeholder="2027-01-08T10:00Z"
              aria-describedby="due_at-error"
            />
          </label>
          <FieldError id="due_at-error" messages={issuesFor(issues, 'due_at')} />
        </div>
        <div className="actions">
          <button type="submit" disabled={busy}>
            Reschedule
          </button>
          <button type="button" className="link" onClick={onClose}>
            Close
          </button>
        </div>
      </form>
    </section>
  );
}
