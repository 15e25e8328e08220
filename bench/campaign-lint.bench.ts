// `npm run bench -- campaign-lint [N]`: the full launch lint of the example product launch (10% holdout,
// so the audience ids and the goal baseline are read too; two MJML variants rendered for 20 sample
// contacts) over N contacts (default 100,000) on SQLite, against the audience preview alone — the query
// lint cannot avoid — in the same run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CampaignSpec } from '../src/domain/campaign.js';
import { previewAudience } from '../src/store/audience.js';
import { lintCampaignSpec, loadCampaignFile } from '../src/store/campaigns/index.js';
import { openStore } from '../src/store/db.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { WorkspacesRepository } from '../src/store/workspaces.repository.js';
import { report, timed } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const NOW = Date.parse('2027-01-05T12:00:00Z');
const RUNS = 5;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(args: string[]): Promise<void> {
  const n = Number(args[0] ?? 100_000);
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-lint-'));
  const store = openStore(`sqlite:${join(dir, 'bench.db')}`);
  try {
    await migrateToLatest(store);
    const ws = (await new WorkspacesRepository(store).ensure('bench', NOW)).id;
    const insert = store.sqlite!.prepare(
      `insert into contacts (id, workspace_id, email, first_name, lifecycle_stage, subscription_status,
        sms_consent, attributes, created_at, updated_at) values (?, ?, ?, ?, ?, 'subscribed', 0, '{}', ?, ?)`,
    );
    store.sqlite!.transaction(() => {
      for (let i = 0; i < n; i++) {
        const id = `ct_${String(i).padStart(9, '0')}`;
        insert.run(id, ws, `p${i}@example.test`, `P${i}`, i % 3 ? 'lead' : 'customer', NOW, NOW);
      }
    })();
    const file = await loadCampaignFile(join(here, '..', 'examples', 'product-launch.yaml'));
    const spec: CampaignSpec = {
      ...file.spec,
      audience: {
        ...file.spec.audience!,
        segment: { all: [{ attribute: 'lifecycle_stage', op: 'in', value: ['lead', 'mql'] }] },
      },
    };
    const lints: number[] = [];
    const previews: number[] = [];
    let findings: string[] = [];
    for (let r = 0; r < RUNS; r++) {
      const p = await timed(() =>
        previewAudience(store, ws, spec.audience, { now: NOW, channel: 'email', sampleSize: 20 }),
      );
      previews.push(p.ms);
      const l = await timed(() => lintCampaignSpec(store, ws, spec, NOW, { templates: file.templates }));
      lints.push(l.ms);
      findings = l.value.map((f) => f.code);
    }
    console.log(
      `${n.toLocaleString('en-US')} contacts, median of ${RUNS} runs; findings: ${findings.join(', ')}`,
    );
    report(
      { label: 'full launch lint', value: median(lints), unit: 'ms' },
      { label: 'audience preview alone', value: median(previews), unit: 'ms' },
      false,
    );
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
