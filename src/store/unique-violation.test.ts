import { describe, expect, it } from 'vitest';
import { uniqueViolationColumn } from './unique-violation.js';

// Error shapes as better-sqlite3 and pg report them (the integration tests hit the real ones on both
// dialects; these pin the parsing of each message format).
describe('unique violations', () => {
  it('names the column of a SQLite unique failure', () => {
    const e = Object.assign(new Error('UNIQUE constraint failed: contacts.workspace_id, contacts.email'), {
      code: 'SQLITE_CONSTRAINT_UNIQUE',
    });
    expect(uniqueViolationColumn(e)).toBe('email');
  });

  it('names the column of a PostgreSQL 23505', () => {
    const e = Object.assign(
      new Error('duplicate key value violates unique constraint "accounts_ws_domain"'),
      {
        code: '23505',
        detail: 'Key (workspace_id, domain)=(ws_1, acme.com) already exists.',
      },
    );
    expect(uniqueViolationColumn(e)).toBe('domain');
  });

  it('ignores other errors', () => {
    expect(uniqueViolationColumn(new Error('boom'))).toBeUndefined();
    expect(uniqueViolationColumn(Object.assign(new Error('fk'), { code: '23503' }))).toBeUndefined();
    expect(uniqueViolationColumn(null)).toBeUndefined();
  });
});
