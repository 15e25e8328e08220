// Shared pieces of the fuzz tests: bounded run counts (FUZZ_RUNS scales them), the seed (FUZZ_SEED), hostile strings and JSON, and the checks every property makes.
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { isBatonError } from '../../src/domain/errors.js';
import type { Store } from '../../src/store/db.js';
import { newId } from '../../src/store/ids.js';

const SCALE = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : 1;
// `npm test` runs a fixed seed, so CI answers the same way for the same code; FUZZ_SEED=random explores new
// inputs (fast-check prints the seed of a failure, and FUZZ_SEED=<that seed> replays it).
const SEED =
  process.env.FUZZ_SEED === 'random'
    ? undefined
    : process.env.FUZZ_SEED
      ? Number(process.env.FUZZ_SEED)
      : 20261129;

/** fast-check parameters: `numRuns` runs (times FUZZ_RUNS), with the FUZZ_SEED seed (fixed unless `random`). */
export function runs(numRuns: number): fc.Parameters<unknown> {
  return { numRuns: Math.max(1, Math.round(numRuns * SCALE)), ...(SEED === undefined ? {} : { seed: SEED }) };
}

/** Strings parsers trip on: control characters, lone surrogates, template and YAML syntax, huge numbers. */
export const nasty: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\ud800',
    '\uffff',
    '__proto__',
    'constructor',
    'toString',
    '{{',
    '}}',
    '{%',
    '{% raw %}',
    '{{ contact.email | append: }}',
    '{{ a.b.c[0] }}',
    '<mjml>',
    '</mj-body>',
    '<script>alert(1)</script>',
    '"',
    "'",
    '\\',
    ',',
    '\n',
    '\r\n',
    '- ',
    ': ',
    '&a',
    '*a',
    '!!js/function',
    '1e309',
    '-0',
    '9007199254740993',
    'NaN',
    '2027-02-30',
    '2027-01-01T25:00:00Z',
    'tch_00000000000000000000000000',
    'a'.repeat(5000),
  ),
);

/** Any JSON value, with hostile strings in keys and values. */
export const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    nasty,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(nasty, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** `base` with some of its fields (at any depth) replaced by arbitrary JSON or removed. */
export function mutated(base: unknown): fc.Arbitrary<unknown> {
  const paths: string[][] = [];
  const walk = (v: unknown, path: string[]) => {
    paths.push(path);
    if (v && typeof v === 'object') for (const [k, c] of Object.entries(v)) walk(c, [...path, k]);
  };
  walk(base, []);
  const edit = fc.record({
    path: fc.constantFrom(...paths),
    value: fc.option(json, { nil: undefined, freq: 5 }),
    key: fc.option(nasty, { nil: undefined, freq: 3 }),
  });
  return fc.array(edit, { minLength: 1, maxLength: 3 }).map((edits) => {
    const out = structuredClone(base) as Record<string, unknown>;
    for (const e of edits) {
      if (e.path.length === 0) continue;
      let parent: unknown = out;
      for (const k of e.path.slice(0, -1)) parent = (parent as Record<string, unknown> | undefined)?.[k];
      if (!parent || typeof parent !== 'object') continue;
      const last = e.path[e.path.length - 1]!;
      const p = parent as Record<string, unknown>;
      // A new key is an own property, as JSON.parse makes it (even `__proto__`); arrays get no named keys.
      if (e.key !== undefined) {
        if (!Array.isArray(p)) {
          Object.defineProperty(p, e.key, {
            value: e.value ?? null,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
      } else if (e.value === undefined) delete p[last];
      else p[last] = e.value;
    }
    return out;
  });
}

/** Text with characters inserted, deleted or replaced at random places (for file formats). */
export function garbled(base: string): fc.Arbitrary<string> {
  const op = fc.record({
    at: fc.nat({ max: Math.max(0, base.length) }),
    del: fc.nat({ max: 8 }),
    ins: fc.oneof(nasty, fc.string({ maxLength: 3 })),
  });
  return fc.array(op, { minLength: 1, maxLength: 4 }).map((ops) => {
    let s = base;
    for (const o of ops) {
      const at = Math.min(o.at, s.length);
      s = s.slice(0, at) + o.ins + s.slice(at + o.del);
    }
    return s;
  });
}

/** Runs `fn`; anything it throws must be a BatonError with a message. Returns the value or the error. */
export async function batonOrValue<T>(
  fn: () => Promise<T> | T,
): Promise<{ ok: true; value: T } | { ok: false; error: Error }> {
  try {
    return { ok: true, value: await fn() };
  } catch (e) {
    if (!isBatonError(e)) throw e;
    expect(e.message.length).toBeGreaterThan(3);
    return { ok: false, error: e };
  }
}

/** An HTTP answer that is never a 500, and when it refuses, says so as `{ error: { code, message } }`. */
export function expectHandled(r: LightMyRequestResponse, allowed: number[]): void {
  if (!allowed.includes(r.statusCode)) {
    throw new Error(`unexpected status ${r.statusCode}: ${r.body.slice(0, 500)}`);
  }
  if (r.statusCode >= 400) {
    const body = r.json() as { error?: { code?: unknown; message?: unknown } };
    expect(typeof body.error?.code).toBe('string');
    expect(typeof body.error?.message).toBe('string');
    expect((body.error!.message as string).length).toBeGreaterThan(3);
  }
}

/** Rows of a workspace in each table, to show that a refused input wrote nothing. */
export async function rowCounts<T extends string>(
  store: Store,
  ws: string,
  tables: readonly T[],
): Promise<Record<T, number>> {
  const out = {} as Record<T, number>;
  for (const t of tables) {
    const r = await store.db
      .selectFrom(t as 'contacts')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('workspace_id', '=', ws)
      .executeTakeFirstOrThrow();
    out[t] = Number(r.n);
  }
  return out;
}

/**
 * One subscribed contact with an active enrollment in campaign `launch` and one email touch already sent
 * to them (Message-ID `<touch id@mail.example.org>`): what a reply, a bounce or a tracking link refers to.
 */
export async function seedSentTouch(
  store: Store,
  ws: string,
  at: number,
  opts: { email: string; details?: unknown },
): Promise<{ contact: string; touch: string }> {
  const contact = newId('ct', at);
  await store.db
    .insertInto('contacts')
    .values({
      id: contact,
      workspace_id: ws,
      email: opts.email,
      subscription_status: 'subscribed',
      sms_consent: 0,
      attributes: '{}',
      created_at: at,
      updated_at: at,
    })
    .execute();
  const enrollment = newId('enr', at);
  await store.db
    .insertInto('enrollments')
    .values({
      id: enrollment,
      workspace_id: ws,
      campaign_id: 'launch',
      contact_id: contact,
      account_id: null,
      cycle: 0,
      arm: 'treatment',
      variants: '{}',
      state: 'active',
      exit_reason: null,
      enrolled_at: at,
      exited_at: null,
    })
    .execute();
  const touch = newId('tch', at);
  await store.db
    .insertInto('touches')
    .values({
      id: touch,
      workspace_id: ws,
      enrollment_id: enrollment,
      campaign_id: 'launch',
      contact_id: contact,
      step_id: 'intro',
      step_index: 0,
      channel: 'email',
      variant_id: null,
      priority: 50,
      status: 'sent',
      due_at: at,
      lease_until: null,
      claimed_by: null,
      attempts: 1,
      deferrals: 0,
      planned_at: at,
      sent_at: at,
      reason: null,
      message_id: `<${touch}@mail.example.org>`,
      details: JSON.stringify(opts.details ?? {}),
    })
    .execute();
  return { contact, touch };
}
