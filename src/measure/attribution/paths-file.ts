// Reads journeys in ChannelAttribution's file format into a PathSet:
// `path;total_conversions;total_conversion_value;total_null`, `;` or `,` separated, channels joined by `>`.
import { BatonError } from '../../domain/errors.js';
import { checkCounts, type PathSet } from './paths.js';

type Column = 'path' | 'total_conversions' | 'total_conversion_value' | 'total_null';

class GrowableInt32 {
  data = new Int32Array(1024);
  length = 0;
  push(x: number): void {
    if (this.length === this.data.length) {
      const bigger = new Int32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = x;
  }
  done(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

class GrowableFloat64 {
  data = new Float64Array(1024);
  length = 0;
  push(x: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = x;
  }
  done(): Float64Array {
    return this.data.slice(0, this.length);
  }
}

function fail(line: number, message: string): never {
  throw BatonError.invalid([{ path: `line ${line}`, message }], `line ${line}: ${message}`);
}

function unquote(s: string): string {
  const t = s.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).trim() : t;
}

function parseCount(line: number, column: string, raw: string | undefined): number {
  const s = raw === undefined ? '' : unquote(raw);
  if (s === '') return 0;
  const x = Number(s);
  if (!Number.isFinite(x)) fail(line, `${column} is ${JSON.stringify(s)}, not a number`);
  return x;
}

/**
 * Parses the text of a paths file. The header line is optional; with it the columns are found by name (path and
 * total_conversions required, the others optional), without it they are taken in the order above.
 */
export function parsePathsFile(text: string): PathSet {
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let lineNo = 0;
  const nextLine = (): string | undefined => {
    while (pos < text.length) {
      let end = text.indexOf('\n', pos);
      if (end < 0) end = text.length;
      let line = text.slice(pos, end);
      pos = end + 1;
      lineNo++;
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line.trim() !== '') return line;
    }
    return undefined;
  };

  const first = nextLine();
  if (first === undefined) {
    throw BatonError.invalid(
      [{ path: 'file', message: 'is empty: no paths to attribute' }],
      'the paths file is empty',
    );
  }
  const sep = first.includes(';') ? ';' : ',';
  const headerCells = first.split(sep).map((c) => unquote(c).toLowerCase());
  const hasHeader = headerCells.includes('path');
  const col = { path: 0, conv: 1, value: 2, nulls: 3 };
  if (hasHeader) {
    const at = (name: Column): number => headerCells.indexOf(name);
    col.path = at('path');
    col.conv = at('total_conversions');
    col.value = at('total_conversion_value');
    col.nulls = at('total_null');
    if (col.conv < 0)
      fail(lineNo, `the header has no total_conversions column (found: ${headerCells.join(', ')})`);
  }

  const ids = new Map<string, number>();
  const channels: string[] = [];
  const offsets = new GrowableInt32();
  offsets.push(0);
  const touches = new GrowableInt32();
  const conversions = new GrowableFloat64();
  const values = new GrowableFloat64();
  const nulls = new GrowableFloat64();

  let line: string | undefined = hasHeader ? nextLine() : first;
  while (line !== undefined) {
    const cells = line.split(sep);
    const rawPath = cells[col.path];
    const path = rawPath === undefined ? '' : unquote(rawPath);
    if (path === '') fail(lineNo, 'the path is empty');
    const c = parseCount(lineNo, 'total_conversions', cells[col.conv]);
    const v = col.value >= 0 ? parseCount(lineNo, 'total_conversion_value', cells[col.value]) : 0;
    const n = col.nulls >= 0 ? parseCount(lineNo, 'total_null', cells[col.nulls]) : 0;
    try {
      checkCounts(`line ${lineNo}`, c, v, n);
    } catch (e) {
      if (e instanceof BatonError) fail(lineNo, e.message.replace(/^line \d+\./, ''));
      throw e;
    }
    let start = 0;
    while (start <= path.length) {
      let end = path.indexOf('>', start);
      if (end < 0) end = path.length;
      const name = path.slice(start, end).trim();
      if (name === '') fail(lineNo, `the path ${JSON.stringify(path)} has an empty channel`);
      let id = ids.get(name);
      if (id === undefined) {
        id = channels.length;
        ids.set(name, id);
        channels.push(name);
      }
      touches.push(id);
      start = end + 1;
    }
    offsets.push(touches.length);
    conversions.push(c);
    values.push(v);
    nulls.push(n);
    line = nextLine();
  }
  if (conversions.length === 0) {
    throw BatonError.invalid(
      [{ path: 'file', message: 'has a header but no paths' }],
      'the paths file has no paths',
    );
  }
  return {
    channels,
    offsets: offsets.done(),
    touches: touches.done(),
    conversions: conversions.done(),
    values: values.done(),
    nulls: nulls.done(),
  };
}
