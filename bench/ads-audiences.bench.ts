// `npm run bench -- ads-audiences [N]`: N (default 100,000) contacts hashed for both ad platforms as the
// `ads` channel does when they enter an audience, against a bare SHA-256 loop over the same number of
// values; then a full Google Customer Match export of an N-member audience from SQLite, against a bare
// SHA-256 loop over N emails (what an export that hashed at export time could not go below).
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashIdentifiers, type RawIdentifiers } from '../src/channels/ads/identifiers.js';
import { AdsAudiencesRepository } from '../src/store/ads-audiences.repository.js';
import { openStore } from '../src/store/db.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { WorkspacesRepository } from '../src/store/workspaces.repository.js';
import { report, timed } from './harness.js';

const FIRST = ['Ada', 'Grace', 'Alan', 'Valéry', "O'Brien", 'Zoë', 'Linus', 'Margaret'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dupont', 'Smith-Jones', 'Pérez', 'Torvalds', 'Hamilton'];
const COUNTRIES = ['US', 'gb', 'FR', 'de', 'US'];

function people(n: number): RawIdentifiers[] {
  return Array.from({ length: n }, (_, i) => ({
    email: ` Person.${i}@Example${i % 97}.com `,
    phone:
      i % 3 === 0
        ? null
        : `+1 (650) ${String(100 + (i % 900)).padStart(3, '0')}-${String(i % 10_000).padStart(4, '0')}`,
    firstName: FIRST[i % FIRST.length]!,
    lastName: LAST[i % LAST.length]!,
    country: COUNTRIES[i % COUNTRIES.length]!,
    zip: i % 5 === 1 ? 'SW1A 1AA' : String(10_000 + (i % 89_999)),
  }));
}

function bareSha(values: string[]): number {
  let x = 0;
  for (const v of values) x ^= createHash('sha256').update(v, 'utf8').digest()[0]!;
  return x;
}

export async function run(args: string[]): Promise<void> {
  const n = Number(args[0] ?? 100_000);
  const raw = people(n);

  // 1. Hashing on entry: both platforms' rows per contact.
  const hashed = await timed(() => raw.map(hashIdentifiers));
  const hashes = hashed.value.reduce(
    (s, h) =>
      s + [...Object.values(h.google).slice(0, 4), ...Object.values(h.meta)].filter((v) => v !== null).length,
    0,
  );
  const sample = raw.flatMap((r) => [r.email!, r.phone ?? '', r.firstName!, r.lastName!, r.country!, r.zip!]);
  const values = Array.from({ length: hashes }, (_, i) => sample[i % sample.length]!.trim().toLowerCase());
  const bare = await timed(() => bareSha(values));
  console.log(
    `${n.toLocaleString('en-US')} contacts, ${hashes.toLocaleString('en-US')} SHA-256 values (both platforms)`,
  );
  report(
    { label: 'normalise + hash for Google and Meta', value: hashes / (hashed.ms / 1000), unit: 'hashes/s' },
    { label: 'bare SHA-256 loop', value: hashes / (bare.ms / 1000), unit: 'hashes/s' },
  );

  // 2. A full export of an audience of n members (SQLite).
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-ads-'));
  const store = openStore(`sqlite:${join(dir, 'bench.db')}`);
  try {
    await migrateToLatest(store);
    const now = Date.parse('2027-01-04T12:00:00Z');
    const ws = (await new WorkspacesRepository(store).ensure('bench', now)).id;
    const audiences = new AdsAudiencesRepository(store);
    const audienceId = await audiences.ensure(ws, 'retarget', now);
    const fill = await timed(() =>
      audiences.addMembers(
        ws,
        audienceId,
        hashed.value.map((identifiers, i) => ({
          contactId: `ct_${String(i).padStart(8, '0')}`,
          campaignId: 'bench',
          enrollmentId: `enr_${i}`,
          identifiers,
        })),
        now,
      ),
    );
    console.log(`filled the audience in ${(fill.ms / 1000).toFixed(1)} s`);
    const exp = await timed(() =>
      audiences.export(ws, audienceId, { format: 'google', mode: 'full' }, now + 1),
    );
    const bytes = exp.value.mode === 'full' ? Buffer.byteLength(exp.value.csv) : 0;
    const emails = raw.map((r) => r.email!.trim().toLowerCase());
    const bareEmails = await timed(() => bareSha(emails));
    console.log(`export: ${n.toLocaleString('en-US')} members, ${(bytes / 1e6).toFixed(1)} MB of CSV`);
    report(
      { label: 'full Google export (read + CSV)', value: n / (exp.ms / 1000), unit: 'members/s' },
      { label: 'bare SHA-256 of each member’s email', value: n / (bareEmails.ms / 1000), unit: 'members/s' },
    );
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
