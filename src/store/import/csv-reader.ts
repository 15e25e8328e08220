// Streaming CSV reader (RFC 4180): splits a file into records with their line numbers, one chunk in memory
// at a time, and flags records that are not UTF-8 or badly quoted instead of failing the whole file.
import { isUtf8 } from 'node:buffer';
import { open } from 'node:fs/promises';

export interface CsvRecord {
  fields: string[];
  /** 1-based line of the file where the record starts (a quoted value may span lines). */
  line: number;
  /** Why the record cannot be read as written; `field` is the 0-based column when one is to blame. */
  problem?: { field?: number; reason: string };
}

export interface CsvReadOptions {
  /** Bytes read per step (default 1 MiB). */
  chunkSize?: number;
  /** Awaited after each chunk with the bytes read so far: a writer flushes, a progress bar redraws. */
  onChunk?: (bytesRead: number) => Promise<void> | void;
}

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;
const REPLACEMENT = '\uFFFD';
const BOM = 0xfeff;
/** A quoted value still open after this many characters is taken for a stray quote. */
const MAX_RECORD = 4 << 20;
const UNCLOSED = 'has a quote that is never closed';

/**
 * Calls `onRecord` for every record of the file, synchronously within a chunk (no per-row promise).
 * Blank lines are skipped. Returns the number of bytes read.
 */
export async function readCsv(
  path: string,
  onRecord: (record: CsvRecord) => void,
  options: CsvReadOptions = {},
): Promise<number> {
  const chunkSize = options.chunkSize ?? 1 << 20;
  const splitter = new CsvSplitter(onRecord);
  const file = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(chunkSize);
    let carry: Buffer | undefined;
    let total = 0;
    for (;;) {
      const { bytesRead } = await file.read(buf, 0, chunkSize, null);
      if (bytesRead === 0) break;
      let bytes = buf.subarray(0, bytesRead);
      total += bytesRead;
      if (carry) bytes = Buffer.concat([carry, bytes]);
      // Cut after the last LF: a newline byte is never part of a multi-byte UTF-8 character.
      const lastLf = bytes.lastIndexOf(LF);
      if (lastLf < 0) {
        carry = Buffer.from(bytes);
        continue;
      }
      carry = lastLf + 1 < bytes.length ? Buffer.from(bytes.subarray(lastLf + 1)) : undefined;
      splitter.push(bytes.subarray(0, lastLf + 1), false);
      await options.onChunk?.(total);
    }
    splitter.push(carry ?? Buffer.alloc(0), true);
    if (carry) await options.onChunk?.(total);
    return total;
  } finally {
    await file.close();
  }
}

/** The record splitter behind `readCsv`, fed with byte pieces that end at a line break (or the end). */
export class CsvSplitter {
  private carry = '';
  private first = true;
  /** Line number where the next record starts. */
  private line = 1;
  /** Lines holding bytes that are not UTF-8 (usually none, so the set stays empty). */
  private readonly badLines = new Set<number>();

  constructor(private readonly onRecord: (record: CsvRecord) => void) {}

  push(bytes: Buffer, final: boolean): void {
    let text: string;
    if (isUtf8(bytes)) {
      text = bytes.toString('utf8');
    } else {
      this.markBadLines(bytes);
      text = bytes.toString('utf8'); // invalid sequences become U+FFFD, which locates the column
    }
    if (this.first) {
      this.first = false;
      if (text.charCodeAt(0) === BOM) text = text.slice(1);
    }
    this.parse(this.carry.length > 0 ? this.carry + text : text, final);
  }

  private markBadLines(bytes: Buffer): void {
    let line = this.line;
    for (let i = 0; i < this.carry.length; i++) if (this.carry.charCodeAt(i) === LF) line++;
    let start = 0;
    while (start < bytes.length) {
      let end = bytes.indexOf(LF, start);
      if (end < 0) end = bytes.length;
      if (!isUtf8(bytes.subarray(start, end))) this.badLines.add(line);
      line++;
      start = end + 1;
    }
  }

  private parse(s: string, final: boolean): void {
    const len = s.length;
    let pos = 0;
    let line = this.line;
    let quote = s.indexOf('"');
    while (pos < len) {
      if (quote !== -1 && quote < pos) quote = s.indexOf('"', pos);
      const lf = s.indexOf('\n', pos);
      if (quote === -1 || (lf !== -1 && quote > lf)) {
        // Fast path: no quote on this line, so it is a plain comma-separated record.
        if (lf === -1 && !final) break;
        const end = lf === -1 ? len : lf;
        const stop = end > pos && s.charCodeAt(end - 1) === CR ? end - 1 : end;
        if (stop > pos) this.emit(s.slice(pos, stop).split(','), line, line, undefined);
        line++;
        pos = end + 1;
        continue;
      }
      let next = this.parseQuoted(s, pos, line, final || len - pos > MAX_RECORD);
      if (next === undefined) break;
      if (next === 'unclosed') {
        // A stray opening quote would swallow the rest of the file: reject its line alone, read on.
        const end = lf === -1 ? len : lf;
        const stop = end > pos && s.charCodeAt(end - 1) === CR ? end - 1 : end;
        this.emit([s.slice(pos, stop)], line, line, { reason: UNCLOSED });
        next = { pos: end + 1, line: line + 1 };
      }
      pos = next.pos;
      line = next.line;
    }
    this.carry = pos < len ? s.slice(pos) : '';
    this.line = line;
  }

  /**
   * Reads one record that contains quotes; undefined when it continues past the text given so far,
   * 'unclosed' when the text ends inside a quoted value.
   */
  private parseQuoted(
    s: string,
    start: number,
    line: number,
    final: boolean,
  ): { pos: number; line: number } | 'unclosed' | undefined {
    const len = s.length;
    const fields: string[] = [];
    let field = '';
    let i = start;
    let ln = line;
    let inQuotes = false;
    let atFieldStart = true;
    let closed = false; // the current field was quoted and its closing quote has been read
    let problem: CsvRecord['problem'];
    let endLine: number;
    for (;;) {
      if (i >= len) {
        if (!final) return undefined;
        if (inQuotes) return 'unclosed';
        fields.push(field);
        endLine = ln;
        break;
      }
      const c = s.charCodeAt(i);
      if (inQuotes) {
        if (c === QUOTE) {
          if (i + 1 >= len && !final) return undefined;
          if (s.charCodeAt(i + 1) === QUOTE) {
            field += '"';
            i += 2;
          } else {
            inQuotes = false;
            closed = true;
            i++;
          }
          continue;
        }
        // Copy up to the next quote in one slice, counting the line breaks inside the value.
        let q = s.indexOf('"', i);
        if (q === -1) q = len;
        for (let j = s.indexOf('\n', i); j !== -1 && j < q; j = s.indexOf('\n', j + 1)) ln++;
        field += s.slice(i, q);
        i = q;
        continue;
      }
      if (c === COMMA) {
        fields.push(field);
        field = '';
        atFieldStart = true;
        closed = false;
        i++;
        continue;
      }
      if (c === LF || c === CR) {
        if (c === CR && i + 1 >= len && !final) return undefined;
        if (c === LF || s.charCodeAt(i + 1) === LF) {
          fields.push(field);
          endLine = ln;
          ln++;
          i += c === CR ? 2 : 1;
          break;
        }
      }
      if (c === QUOTE && atFieldStart) {
        inQuotes = true;
        atFieldStart = false;
        i++;
        continue;
      }
      if (closed) problem ??= { field: fields.length, reason: 'has text after the closing quote' };
      atFieldStart = false;
      field += s[i];
      i++;
    }
    this.emit(fields, line, endLine, problem);
    return { pos: i, line: ln };
  }

  private emit(fields: string[], line: number, endLine: number, problem: CsvRecord['problem']): void {
    if (this.badLines.size > 0 && problem === undefined) {
      for (let l = line; l <= endLine; l++) {
        if (this.badLines.has(l)) {
          const field = fields.findIndex((f) => f.includes(REPLACEMENT));
          problem = {
            field: field < 0 ? undefined : field,
            reason: 'contains bytes that are not valid UTF-8 (save the file as UTF-8)',
          };
          break;
        }
      }
    }
    this.onRecord(problem ? { fields, line, problem } : { fields, line });
  }
}
