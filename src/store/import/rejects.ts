// The rejects file of an import run with --skip-invalid: each rejected row as it was, after its line
// number and the reasons, so it can be fixed and imported again.
import { createWriteStream, type WriteStream } from 'node:fs';
import type { RowIssue } from './columns.js';
import type { CsvRecord } from './csv-reader.js';

/** `contacts.csv` → `contacts.rejects.csv`. */
export function rejectsPathFor(file: string): string {
  return file.toLowerCase().endsWith('.csv') ? `${file.slice(0, -4)}.rejects.csv` : `${file}.rejects.csv`;
}

export function csvCell(value: string): string {
  return /[",\r\n]/.test(value) || value !== value.trim() ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Opened on the first reject, so a clean run leaves no file behind. */
export class RejectsFile {
  private out: WriteStream | undefined;

  constructor(readonly path: string) {}

  add(header: string[], record: CsvRecord, issues: RowIssue[]): void {
    if (!this.out) {
      this.out = createWriteStream(this.path);
      this.out.write(['line', 'reason', ...header].map(csvCell).join(',') + '\n');
    }
    const reason = issues.map((i) => (i.column ? `${i.column}: ${i.reason}` : i.reason)).join('; ');
    this.out.write([String(record.line), reason, ...record.fields].map(csvCell).join(',') + '\n');
  }

  close(): Promise<void> {
    const out = this.out;
    if (!out) return Promise.resolve();
    return new Promise((resolve, reject) => {
      out.on('error', reject);
      out.end(resolve);
    });
  }
}
