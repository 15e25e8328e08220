// Planning throughput: one touch fully planned (delay in the contact's zone, send window, holidays,
// campaign window, caps against the contact's history) per second, against the same number of bare
// luxon steps (`DateTime.fromMillis(t, { zone }).plus({ days: 1 })`, one zone-aware date step).
import { DateTime } from 'luxon';
import {
  CapState,
  DEFAULT_CAP_POLICY,
  parseDelay,
  placeWithState,
  planDueAt,
  toHolidays,
  type TouchRecord,
} from '../src/planning/index.js';
import { report, timed } from './harness.js';

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ZONES = [
  'America/New_York',
  'Europe/Berlin',
  'Australia/Lord_Howe',
  'Asia/Tokyo',
  'America/Los_Angeles',
  'UTC',
];
const DELAYS = ['0d', '2h', '1d', '3bd', '1w'].map((d) => parseDelay(d));

export async function run(args: string[]): Promise<void> {
  const n = Number(args[0] ?? 1_000_000);
  const rnd = mulberry32(42);
  const start = Date.parse('2027-02-15T00:00:00Z'); // eight weeks spanning the March DST changes
  const campaignWindow = { start, end: start + 8 * 7 * 86_400_000 };
  const holidays = toHolidays(['2027-03-29', '2027-04-02']);
  const contacts = Array.from({ length: Math.min(n, 200_000) }, () => {
    const zone = ZONES[Math.floor(rnd() * ZONES.length)] as string;
    const history: TouchRecord[] = [];
    const k = Math.floor(rnd() * 4);
    for (let i = 0; i < k; i++) {
      history.push({
        at: start + Math.floor(rnd() * 40 * 86_400_000),
        channel: 'email',
        campaignId: 'other',
      });
    }
    return { zone, history, prev: start + Math.floor(rnd() * 40 * 86_400_000) };
  });
  const policy = { ...DEFAULT_CAP_POLICY, minGapByChannel: { email: 24 * 3_600_000 } };

  let placed = 0;
  let skipped = 0;
  const plan = await timed(() => {
    for (let i = 0; i < n; i++) {
      const c = contacts[i % contacts.length]!;
      const delay = DELAYS[i % DELAYS.length]!;
      const due = planDueAt({
        previousAt: c.prev,
        delay,
        contactZone: c.zone,
        campaignZone: 'UTC',
        holidays,
        campaignWindow,
      });
      if ('skip' in due) {
        skipped++;
        continue;
      }
      const caps = new CapState(c.history, policy, c.zone);
      const p = placeWithState(
        { from: due.dueAt, channel: 'email', zone: c.zone, holidays, campaignWindow },
        caps,
      );
      if ('at' in p) placed++;
      else skipped++;
    }
  });
  // luxon is two orders of magnitude slower: a sample of 100,000 steps gives its rate.
  const m = Math.min(n, 100_000);
  let sink = 0;
  const base = await timed(() => {
    for (let i = 0; i < m; i++) {
      const c = contacts[i % contacts.length]!;
      sink += DateTime.fromMillis(c.prev, { zone: c.zone }).plus({ days: 1 }).toMillis() & 1;
    }
  });
  console.log(
    `${n.toLocaleString('en-US')} touches: ${placed.toLocaleString('en-US')} placed, ${skipped.toLocaleString('en-US')} past the campaign end (${sink & 0})`,
  );
  report(
    {
      label: 'planned touches (delay + window + holidays + caps)',
      value: n / (plan.ms / 1000),
      unit: 'touches/s',
    },
    { label: 'bare luxon zone-aware day steps', value: m / (base.ms / 1000), unit: 'steps/s' },
  );
}
