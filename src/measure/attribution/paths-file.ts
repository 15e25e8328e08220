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

const QUOTE = 34;

function isBlank(code: number): boolean {
  return code === 32 || code === 9;
}

/** Channel name → dense id without cutting a string per touch: FNV-1a over the characters, open addressing. */
class ChannelNames {
  readonly list: string[] = [];
  private hashes: number[] = [];
  private table = new Int32Array(64).fill(-1);

  constructor(private readonly text: string) {}

  idOf(a: number, b: number): number {
    const text = this.text;
    let h = 0x811c9dc5;
    for (let i = a; i < b; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    const mask = this.table.length - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const id = this.table[slot]!;
      if (id < 0) return this.add(slot, h, text.slice(a, b));
      const name = this.list[id]!;
      if (this.hashes[id] === h && name.length === b - a && text.startsWith(name, a)) return id;
    }
  }

  private add(slot: number, h: number, name: string): number {
    const id = this.list.length;
    this.list.push(name);
    this.hashes.push(h);
    this.table[slot] = id;
    if (this.list.length * 2 > this.table.length) {
      this.table = new Int32Array(this.table.length * 2).fill(-1);
      const mask = this.table.length - 1;
      this.hashes.forEach((hash, k) => {
        let s = hash & mask;
        while (this.table[s]! >= 0) s = (s + 1) & mask;
        this.table[s] = k;
      });
    }
    return id;
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

  const firstStart = pos;
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

  const names = new ChannelNames(text);
  const offsets = new GrowableInt32();
  offsets.push(0);
  const touches = new GrowableInt32();
  const conversions = new GrowableFloat64();
  const values = new GrowableFloat64();
  const nulls = new GrowableFloat64();
  const maxCol = Math.max(col.path, col.conv, col.value, col.nulls);
  const fieldStart = new Int32Array(maxCol + 1);
  const fieldEnd = new Int32Array(maxCol + 1);
  // A field's bounds without surrounding blanks and quotes, left in fa/fb (no tuple per call: this runs 4M times).
  let fa = 0;
  let fb = 0;
  const field = (k: number): void => {
    fa = fb = 0;
    if (k < 0) return;
    fa = fieldStart[k]!;
    fb = fieldEnd[k]!;
    while (fa < fb && isBlank(text.charCodeAt(fa))) fa++;
    while (fb > fa && isBlank(text.charCodeAt(fb - 1))) fb--;
    if (fb - fa >= 2 && text.charCodeAt(fa) === QUOTE && text.charCodeAt(fb - 1) === QUOTE) {
      fa++;
      fb--;
    }
  };
  const count = (k: number, column: string): number => {
    field(k);
    if (fa === fb) return 0;
    // Counts are almost always plain integers: read the digits without making a string.
    let x = 0;
    let i = fa;
    for (; i < fb && fb - fa <= 15; i++) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      x = x * 10 + d;
    }
    return i === fb ? x : parseCount(lineNo, column, text.slice(fa, fb));
  };

  if (!hasHeader) {
    pos = firstStart;
    lineNo = 0;
  }
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const lineStart = pos;
    let lineEnd = end;
    if (lineEnd > lineStart && text.charCodeAt(lineEnd - 1) === 13) lineEnd--;
    pos = end + 1;
    lineNo++;
    let blank = true;
    for (let i = lineStart; i < lineEnd && blank; i++) blank = isBlank(text.charCodeAt(i));
    if (blank) continue;
    let k = 0;
    let a = lineStart;
    fieldStart.fill(lineEnd);
    fieldEnd.fill(lineEnd);
    while (k <= maxCol) {
      let b = text.indexOf(sep, a);
      if (b < 0 || b > lineEnd) b = lineEnd;
      fieldStart[k] = a;
      fieldEnd[k] = b;
      k++;
      if (b === lineEnd) break;
      a = b + 1;
    }
    field(col.path);
    const ps = fa;
    const pe = fb;
    if (ps === pe) fail(lineNo, 'the path is empty');
    const c = count(col.conv, 'total_conversions');
    const v = count(col.value, 'total_conversion_value');
    const n = count(col.nulls, 'total_null');
    if (!(c >= 0 && v >= 0 && n >= 0 && (v === 0 || c > 0))) {
      try {
        checkCounts(`line ${lineNo}`, c, v, n);
      } catch (e) {
        if (e instanceof BatonError) fail(lineNo, e.message.replace(/^line \d+\./, ''));
        throw e;
      }
    }
    let start = ps;
    while (start <= pe) {
      let stop = text.indexOf('>', start);
      if (stop < 0 || stop > pe) stop = pe;
      let x = start;
      let y = stop;
      while (x < y && isBlank(text.charCodeAt(x))) x++;
      while (y > x && isBlank(text.charCodeAt(y - 1))) y--;
      if (x === y) fail(lineNo, `the path ${JSON.stringify(text.slice(ps, pe))} has an empty channel`);
      touches.push(names.idOf(x, y));
      start = stop + 1;
    }
    offsets.push(touches.length);
    conversions.push(c);
    values.push(v);
    nulls.push(n);
  }
  if (conversions.length === 0) {
    throw BatonError.invalid(
      [{ path: 'file', message: 'has a header but no paths' }],
      'the paths file has no paths',
    );
  }
  return {
    channels: names.list,
    offsets: offsets.done(),
    touches: touches.done(),
    conversions: conversions.done(),
    values: values.done(),
    nulls: nulls.done(),
  };
}
