import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCsv, type CsvRecord } from './csv-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'baton-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
async function read(content: string | Buffer, chunkSize?: number): Promise<CsvRecord[]> {
  const file = join(dir, `f${n++}.csv`);
  writeFileSync(file, content);
  const out: CsvRecord[] = [];
  await readCsv(file, (r) => out.push(r), { chunkSize });
  return out;
}

describe('readCsv', () => {
  // The examples of RFC 4180 section 2 (rules 1-7), with their line numbers.
  it('reads the RFC 4180 forms: CRLF, no final break, quoted commas, quotes and line breaks', async () => {
    const text = 'a,b,c\r\n"aaa","b\r\nbb","ccc"\r\nzzz,"y""y",x\r\n"",,\r\nlast,row,here';
    const records = await read(text);
    expect(records.map((r) => [r.line, r.fields])).toEqual([
      [1, ['a', 'b', 'c']],
      [2, ['aaa', 'b\r\nbb', 'ccc']],
      [4, ['zzz', 'y"y', 'x']],
      [5, ['', '', '']],
      [6, ['last', 'row', 'here']],
    ]);
    expect(records.every((r) => r.problem === undefined)).toBe(true);
  });

  it('gives the same records whatever the chunk size (records cut across chunks)', async () => {
    const rows = Array.from({ length: 300 }, (_, i) =>
      i % 7 === 0 ? `"multi\nline ${i}","with ""quotes""",é${i}` : `plain${i},ünï${i},${i}`,
    );
    const text = 'h1,h2,h3\n' + rows.join('\n') + '\n';
    const whole = await read(text);
    for (const size of [1, 2, 3, 7, 64, 1000]) {
      const chunked = await read(text, size);
      expect(chunked).toEqual(whole);
    }
    expect(whole).toHaveLength(301);
    expect(whole[1]).toEqual({ fields: ['multi\nline 0', 'with "quotes"', 'é0'], line: 2 });
    expect(whole[2]!.line).toBe(4);
  });

  it('skips blank lines and a UTF-8 byte order mark', async () => {
    const file = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('x,y\n\n1,2\r\n\r\n')]);
    for (const size of [undefined, 1, 2]) {
      const records = await read(file, size);
      expect(records.map((r) => [r.line, r.fields])).toEqual([
        [1, ['x', 'y']],
        [3, ['1', '2']],
      ]);
    }
  });

  it('flags bytes that are not UTF-8 with the line and the column, and goes on', async () => {
    const bad = Buffer.concat([
      Buffer.from('name,city\nok,Köln\nbad,M'),
      Buffer.from([0xfc]), // latin-1 ü
      Buffer.from('nchen\nfine,Paris\n'),
    ]);
    for (const size of [undefined, 5]) {
      const records = await read(bad, size);
      expect(records.map((r) => r.line)).toEqual([1, 2, 3, 4]);
      expect(records[1]!.problem).toBeUndefined();
      expect(records[2]!.problem).toMatchObject({ field: 1, reason: expect.stringContaining('UTF-8') });
      expect(records[3]).toEqual({ fields: ['fine', 'Paris'], line: 4 });
    }
  });

  it('flags text after a closing quote, and a quote never closed on its line alone', async () => {
    const text = 'a,b\n"x"y,1\n2,"never closed\n3,4\n';
    for (const size of [undefined, 4]) {
      const records = await read(text, size);
      expect(records.map((r) => [r.line, r.fields, r.problem?.reason])).toEqual([
        [1, ['a', 'b'], undefined],
        [2, ['xy', '1'], 'has text after the closing quote'],
        [3, ['2,"never closed'], 'has a quote that is never closed'],
        [4, ['3', '4'], undefined],
      ]);
    }
  });

  it('rejects only the line of a stray quote in a large file, and reads on', async () => {
    const text = 'a,b\n1,"stray\n' + 'abcdef,1\n'.repeat(600_000);
    const records = await read(text);
    expect(records).toHaveLength(600_002);
    expect(records[1]).toEqual({
      fields: ['1,"stray'],
      line: 2,
      problem: { reason: 'has a quote that is never closed' },
    });
    expect(records[600_001]).toEqual({ fields: ['abcdef', '1'], line: 600_002 });
  });
});
