// Import: upload a contacts or accounts CSV; the import runs on the server while a bar shows the bytes and
// rows read (polling GET /imports/{id} twice a second), then the counts and the rejected rows with their
// line numbers. A refused upload shows its reason next to the field it names.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, type ImportKind, type ImportRecord } from '../api';
import { FieldError, formError, issuesFor, issuesOf } from '../components/Paging';
import { fmtNumber } from '../format';

const POLL_MS = 500;

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

export function ImportPage() {
  const [kind, setKind] = useState<ImportKind>('contacts');
  const [file, setFile] = useState<File | null>(null);
  const [skipInvalid, setSkipInvalid] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const [uploading, setUploading] = useState(false);
  const [record, setRecord] = useState<ImportRecord | null>(null);
  const timer = useRef<number | undefined>(undefined);

  useEffect(() => () => window.clearTimeout(timer.current), []);

  const poll = (id: string) => {
    api
      .getImport(id)
      .then((r) => {
        setRecord(r);
        if (r.status === 'running') timer.current = window.setTimeout(() => poll(id), POLL_MS);
      })
      .catch((e: unknown) => setError(e));
  };

  const upload = async (e: FormEvent) => {
    e.preventDefault();
    window.clearTimeout(timer.current);
    setError(null);
    setRecord(null);
    if (!file) {
      setFileError('choose a CSV file to import');
      return;
    }
    setFileError(null);
    setUploading(true);
    try {
      const started = await api.startImport(kind, file, skipInvalid);
      setRecord({
        id: started.id,
        kind,
        status: 'running',
        skip_invalid: skipInvalid,
        bytes_read: 0,
        total_bytes: file.size,
        rows: 0,
        result: null,
        error: null,
        created_at: new Date().toISOString(),
        finished_at: null,
      });
      poll(started.id);
    } catch (err) {
      if (err instanceof ApiError && err.status === 413) setFileError(err.message);
      else setError(err);
    } finally {
      setUploading(false);
    }
  };

  const issues = issuesOf(error);
  const kindErrors = issuesFor(issues, 'kind');
  const general = formError(error, ['kind', 'skip_invalid']);
  const share = record && record.total_bytes > 0 ? Math.min(1, record.bytes_read / record.total_bytes) : 0;

  return (
    <section>
      <h1>Import contacts or accounts</h1>
      <p className="muted">
        A CSV file with a header row, as <code>baton import</code> reads it: unknown columns go into
        attributes. By default a file with an invalid row imports nothing.
      </p>
      <form className="stack" onSubmit={(e) => void upload(e)} aria-label="Import a CSV file">
        <div className="field">
          <label>
            What the file holds
            <select
              value={kind}
              onChange={(e) => setKind(e.target.value as ImportKind)}
              aria-describedby="kind-error"
              aria-invalid={kindErrors.length > 0 || undefined}
            >
              <option value="contacts">Contacts</option>
              <option value="accounts">Accounts</option>
            </select>
          </label>
          <FieldError id="kind-error" messages={kindErrors} />
        </div>
        <div className="field">
          <label>
            CSV file
            <input
              type="file"
              accept=".csv,text/csv"
              onChange={(e) => setFile(e.target.files?.[0] ?? null)}
              aria-describedby="file-error"
              aria-invalid={fileError ? true : undefined}
            />
          </label>
          <FieldError id="file-error" messages={fileError ? [fileError] : []} />
        </div>
        <div className="field check">
          <label>
            <input type="checkbox" checked={skipInvalid} onChange={(e) => setSkipInvalid(e.target.checked)} />{' '}
            Import the valid rows and report the others
          </label>
        </div>
        <button type="submit" disabled={uploading || record?.status === 'running'}>
          {uploading ? 'Uploading…' : 'Upload'}
        </button>
      </form>
      {general && (
        <p role="alert" className="error">
          {general}
        </p>
      )}
      {record && record.status === 'running' && (
        <div role="status" className="progress-cell import-progress">
          <progress max={1} value={share} aria-label="Import progress" />
          <span>
            {fmtBytes(record.bytes_read)} of {fmtBytes(record.total_bytes)} read,{' '}
            <span data-testid="rows-read">{fmtNumber(record.rows)}</span> rows
          </span>
        </div>
      )}
      {record && record.status === 'failed' && (
        <p role="alert" className="error">
          The import failed: {record.error}
        </p>
      )}
      {record?.status === 'done' && record.result && <ImportSummary record={record} />}
    </section>
  );
}

function ImportSummary({ record }: { record: ImportRecord }) {
  const r = record.result!;
  return (
    <div role="status" className="import-result">
      <h2>{r.committed ? 'Imported' : 'Nothing imported'}</h2>
      {!r.committed && (
        <p className="error">
          {fmtNumber(r.rejected)} of {fmtNumber(r.rows)} rows are invalid, so nothing was imported: fix them,
          or import the valid rows only.
        </p>
      )}
      <dl className="import-counts">
        <dt>Rows read</dt>
        <dd data-testid="count-rows">{fmtNumber(r.rows)}</dd>
        <dt>Inserted</dt>
        <dd data-testid="count-inserted">{fmtNumber(r.inserted)}</dd>
        <dt>Updated</dt>
        <dd data-testid="count-updated">{fmtNumber(r.updated)}</dd>
        <dt>Rejected</dt>
        <dd data-testid="count-rejected">{fmtNumber(r.rejected)}</dd>
        {r.linked_contacts !== null && (
          <>
            <dt>Contacts linked by email domain</dt>
            <dd>{fmtNumber(r.linked_contacts)}</dd>
          </>
        )}
      </dl>
      {r.rejected_rows.length > 0 && (
        <table>
          <caption>
            Rejected rows
            {r.rejected_total > r.rejected_rows.length &&
              ` (the first ${fmtNumber(r.rejected_rows.length)} of ${fmtNumber(r.rejected_total)} problems)`}
          </caption>
          <thead>
            <tr>
              <th scope="col">Line</th>
              <th scope="col">Column</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {r.rejected_rows.map((x, i) => (
              <tr key={i}>
                <td>{x.line}</td>
                <td>{x.column || '—'}</td>
                <td>{x.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
