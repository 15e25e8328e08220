// Secrets at rest and their rotation, on both stores: tracking and unsubscribe links signed under the previous
// BATON_SECRET keep working while it is listed in BATON_SECRET_PREVIOUS and stop when it is dropped; SMTP
// URLs and DKIM keys are stored sealed (AES-256-GCM) and re-sealed by a rotation; API keys and passwords are
// stored only as hashes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { loadConfig } from '../../src/config/config.js';
import { signToken, verifyToken } from '../../src/content/tokens.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { ApiKeysRepository } from '../../src/store/api-keys.repository.js';
import { ContactsRepository } from '../../src/store/contacts.repository.js';
import { EmailSendersRepository } from '../../src/store/email-senders.repository.js';
import { newId } from '../../src/store/ids.js';
import { isSealed, useSecretKeys } from '../../src/store/secret-box.js';
import { UsersRepository } from '../../src/store/users.repository.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';
import { searchDatabase } from './privacy-fixture.js';

const T0 = Date.parse('2027-01-04T12:00:00Z');
const OLD = 'old-secret-'.padEnd(40, 'o');
const NEW = 'new-secret-'.padEnd(40, 'n');

describe('BATON_SECRET_PREVIOUS', () => {
  it('is a comma-separated list of secrets of 32 characters or more', () => {
    expect(
      loadConfig({ BATON_SECRET: NEW, BATON_SECRET_PREVIOUS: ` ${OLD} ,${'x'.repeat(32)}` }),
    ).toMatchObject({
      BATON_SECRET_PREVIOUS: [OLD, 'x'.repeat(32)],
    });
    expect(() => loadConfig({ BATON_SECRET_PREVIOUS: `${OLD},short` })).toThrow(
      'BATON_SECRET_PREVIOUS must list secrets of at least 32 characters each',
    );
  });

  it('lets a token verify under any listed secret, and under no other', () => {
    const token = signToken(OLD, { kind: 'click', touchId: 'tch_1', index: 2 });
    expect(verifyToken([NEW, OLD], token)).toEqual({ kind: 'click', touchId: 'tch_1', index: 2 });
    expect(verifyToken([NEW], token)).toBeNull();
    expect(verifyToken(NEW, token)).toBeNull();
  });
});

describe.each(dialects)('secrets at rest (%s)', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(async () => {
    await store.dispose();
  });

  it('keeps unsubscribe links signed under the previous secret working until that secret is dropped', async () => {
    const ws = await newWorkspace(store);
    const contact = await new ContactsRepository(store).create(ws, { email: `rot.${ws}@example.org` }, T0);
    const oldLink = `/u/${signToken(OLD, { kind: 'unsubscribe', contactId: contact.id, touchId: null })}`;
    const newLink = `/u/${signToken(NEW, { kind: 'unsubscribe', contactId: contact.id, touchId: null })}`;
    const base = { store, clock: new SimulatedClock(T0), publicUrl: 'http://localhost:4400' };

    const during = await buildApp({ ...base, secret: NEW, previousSecrets: [OLD] });
    const after = await buildApp({ ...base, secret: NEW });
    try {
      for (const link of [oldLink, newLink]) {
        const page = await during.inject({ method: 'GET', url: link });
        expect(page.statusCode, link).toBe(200);
        expect(page.body).toContain(`rot.${ws}@example.org`);
      }
      expect((await after.inject({ method: 'GET', url: newLink })).statusCode).toBe(200);
      expect((await after.inject({ method: 'GET', url: oldLink })).statusCode).toBe(404);
      // The one-click POST behaves the same: refused after the drop, honoured during the rotation.
      expect((await after.inject({ method: 'POST', url: oldLink, payload: '' })).statusCode).toBe(404);
      expect((await new ContactsRepository(store).get(ws, contact.id)).subscription_status).toBe(
        'subscribed',
      );
      expect((await during.inject({ method: 'POST', url: oldLink, payload: '' })).statusCode).toBe(200);
      expect((await new ContactsRepository(store).get(ws, contact.id)).subscription_status).toBe(
        'unsubscribed',
      );
    } finally {
      await during.close();
      await after.close();
    }
  });

  it('stores SMTP passwords and DKIM keys sealed, and re-seals them under a new secret', async () => {
    const ws = await newWorkspace(store);
    const password = `pw-${newId('x', T0)}`;
    const smtpUrl = `smtp://mailer:${password}@smtp.example.net:587`;
    const dkim = `-----BEGIN PRIVATE KEY-----\nMIIdkim${password}\n-----END PRIVATE KEY-----`;
    const senders = new EmailSendersRepository(store);
    const input = {
      email: `news.${ws}@example.org`,
      postal_address: '1 Main Street, Springfield',
      smtp_url: smtpUrl,
      dkim_selector: 'baton',
      dkim_private_key: dkim,
    };
    useSecretKeys(store, { current: OLD, previous: [] });
    try {
      const sender = await senders.upsert(ws, input, T0);
      expect(sender).toMatchObject({ smtpUrl, dkimPrivateKey: dkim });
      expect(await searchDatabase(store, password)).toEqual([]);
      expect(await searchDatabase(store, 'mailer:')).toEqual([]);
      const stored = await store.db
        .selectFrom('email_senders')
        .select(['smtp_url', 'dkim_private_key'])
        .where('id', '=', sender.id)
        .executeTakeFirstOrThrow();
      expect(isSealed(stored.smtp_url!) && isSealed(stored.dkim_private_key!)).toBe(true);

      // A row written before sealing existed reads as it is, and `reseal` seals it.
      const legacy = `smtp://legacy:${password}-old@smtp.example.net:25`;
      await store.db
        .updateTable('email_senders')
        .set({ smtp_url: legacy })
        .where('id', '=', sender.id)
        .execute();
      expect((await senders.get(ws, sender.id))?.smtpUrl).toBe(legacy);
      expect(await senders.reseal(ws)).toBeGreaterThanOrEqual(1);
      expect(await searchDatabase(store, `${password}-old`)).toEqual([]);
      expect((await senders.get(ws, sender.id))?.smtpUrl).toBe(legacy);
      await senders.upsert(ws, input, T0 + 1);

      // Rotation: the new secret with the old one still listed opens the old seals; reseal moves them over.
      useSecretKeys(store, { current: NEW, previous: [OLD] });
      expect(await senders.get(ws, sender.id)).toMatchObject({ smtpUrl, dkimPrivateKey: dkim });
      expect(await senders.reseal(ws)).toBeGreaterThanOrEqual(2);
      useSecretKeys(store, { current: NEW, previous: [] });
      expect(await senders.get(ws, sender.id)).toMatchObject({ smtpUrl, dkimPrivateKey: dkim });

      // Without the secret a value was sealed under, reading fails with a message saying what to set.
      useSecretKeys(store, { current: OLD, previous: [] });
      await expect(senders.get(ws, sender.id)).rejects.toMatchObject({
        code: 'config',
        message: expect.stringContaining('BATON_SECRET_PREVIOUS'),
      });
    } finally {
      useSecretKeys(store, { current: NEW, previous: [] });
      await senders.remove(
        ws,
        (
          await store.db
            .selectFrom('email_senders')
            .select('id')
            .where('workspace_id', '=', ws)
            .executeTakeFirstOrThrow()
        ).id,
      );
    }
  });

  it('keeps API keys and passwords only as hashes', async () => {
    const ws = await newWorkspace(store);
    const { key } = await new ApiKeysRepository(store).create(ws, { kind: 'api', scopes: ['read'] }, T0);
    const password = `Correct-Horse-${newId('p', T0)}`;
    await new UsersRepository(store).create(ws, { email: `u.${ws}@example.org`, password }, T0);
    expect(await searchDatabase(store, key)).toEqual([]);
    expect(await searchDatabase(store, password)).toEqual([]);
  });
});
