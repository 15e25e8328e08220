// `baton privacy export|erase` and `baton secrets rotate` (src/cli/main.ts under tsx) on a temporary SQLite
// store, with BATON_SECRET and BATON_SECRET_PREVIOUS set as an operator would.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ContactsRepository } from '../../src/store/contacts.repository.js';
import { openStore } from '../../src/store/db.js';
import { EmailSendersRepository } from '../../src/store/email-senders.repository.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { useSecretKeys } from '../../src/store/secret-box.js';
import { WorkspacesRepository } from '../../src/store/workspaces.repository.js';
import { tempSqliteUrl } from '../support/stores.js';
import { searchDatabase } from './privacy-fixture.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const T0 = Date.parse('2027-01-04T12:00:00Z');
const OLD = 'cli-old-secret-'.padEnd(40, 'o');
const NEW = 'cli-new-secret-'.padEnd(40, 'n');

describe('baton privacy and baton secrets (CLI)', () => {
  const tmp = tempSqliteUrl();
  afterAll(() => tmp.cleanup());

  const baton = (args: string[], env: Record<string, string>) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'src/cli/main.ts'), ...args], {
        cwd: ROOT,
        env: { ...process.env, BATON_DB: tmp.url, ...env },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end();
    });

  it('exports and erases a person by email, and re-seals credentials after a rotation', async () => {
    const store = openStore(tmp.url);
    try {
      await migrateToLatest(store);
      useSecretKeys(store, { current: OLD, previous: [] });
      const ws = await new WorkspacesRepository(store).ensure('acme', T0);
      const contact = await new ContactsRepository(store).create(
        ws.id,
        { email: 'Ada.Lovelace@Example.com', first_name: 'Augusta', phone: '+442071234567' },
        T0,
      );
      await new EmailSendersRepository(store).upsert(
        ws.id,
        {
          email: 'news@example.com',
          postal_address: '1 Main Street, Springfield',
          smtp_url: 'smtp://mailer:hunter2-secret@smtp.example.net:587',
        },
        T0,
      );

      const rotated = await baton(['secrets', 'rotate'], { BATON_SECRET: NEW, BATON_SECRET_PREVIOUS: OLD });
      expect(rotated.stderr).toBe('');
      expect(rotated.stdout).toMatch(/^Re-sealed 1 stored credential under the current secret\./);
      useSecretKeys(store, { current: NEW, previous: [] });
      expect((await new EmailSendersRepository(store).list(ws.id))[0]?.smtpUrl).toBe(
        'smtp://mailer:hunter2-secret@smtp.example.net:587',
      );

      const exported = await baton(['privacy', 'export', 'ada.lovelace@example.com'], { BATON_SECRET: NEW });
      expect(exported.stderr).toBe('');
      expect(exported.code).toBe(0);
      expect(JSON.parse(exported.stdout)).toMatchObject({
        format: 'baton.contact-export.v1',
        contact: { id: contact.id, email: 'Ada.Lovelace@Example.com', first_name: 'Augusta' },
      });

      const erased = await baton(['privacy', 'erase', 'ADA.LOVELACE@example.com'], { BATON_SECRET: NEW });
      expect(erased.stderr).toBe('');
      expect(erased.stdout).toContain(`Erased contact ${contact.id} from workspace acme.`);
      for (const needle of ['ada.lovelace', 'Augusta', '+442071234567']) {
        expect(await searchDatabase(store, needle), needle).toEqual([]);
      }
      const again = await baton(['privacy', 'export', 'ada.lovelace@example.com'], { BATON_SECRET: NEW });
      expect(again.code).not.toBe(0);
      expect(again.stderr).toContain('ada.lovelace@example.com was erased earlier');
    } finally {
      await store.close();
    }
    // Four CLI processes under tsx, each compiling on start, on a machine shared with other test runs.
  }, 300_000);
});
