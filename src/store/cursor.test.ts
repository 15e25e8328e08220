import { describe, expect, it } from 'vitest';
import { BatonError } from '../domain/errors.js';
import { checkLimit, decodeCursor, encodeCursor, toPage } from './cursor.js';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof BatonError ? `${e.code} ${e.message}` : String(e);
  }
  return undefined;
}

describe('list cursors', () => {
  it('round-trips an id and is opaque URL-safe text', () => {
    const c = encodeCursor('con_01JABCDEFGHJKMNPQRSTVWXYZ0');
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(c).not.toContain('con_');
    expect(decodeCursor(c)).toBe('con_01JABCDEFGHJKMNPQRSTVWXYZ0');
  });

  it('refuses text it did not issue, naming the cursor', () => {
    for (const bad of [
      '',
      'con_01J',
      Buffer.from('c2:con_1').toString('base64url'),
      encodeCursor("x' or 1=1"),
    ]) {
      expect(codeOf(() => decodeCursor(bad))).toMatch(/^invalid_input cursor: /);
    }
  });

  it('cuts a limit + 1 fetch into a page and points the cursor at its last row', () => {
    const rows = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
    const page = toPage(rows, 2);
    expect(page.data).toEqual([{ id: 'a' }, { id: 'b' }]);
    expect(decodeCursor(page.next_cursor!)).toBe('b');
    expect(toPage(rows, 3).next_cursor).toBeNull();
    expect(toPage([], 3)).toEqual({ data: [], next_cursor: null });
  });

  it('bounds the page size', () => {
    expect(checkLimit(1)).toBe(1);
    expect(codeOf(() => checkLimit(0))).toMatch(/^invalid_input limit: /);
    expect(codeOf(() => checkLimit(2.5))).toMatch(/^invalid_input limit: /);
    expect(codeOf(() => checkLimit(1001))).toMatch(/^invalid_input limit: /);
  });
});
