// Properties every attribution model must keep, on random journeys: credit is conserved (efficiency), never
// negative or NaN, and a lone channel takes everything.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ATTRIBUTION_MODELS, attribute } from './index.js';
import { markov } from './markov.js';
import { toPathSet, type AttributionPath } from './paths.js';
import { shapley } from './shapley.js';

const CHANNELS = ['a', 'b', 'c', 'd', 'e', 'f'];

const pathArb: fc.Arbitrary<AttributionPath> = fc
  .record({
    channels: fc.array(fc.constantFrom(...CHANNELS), { minLength: 1, maxLength: 8 }),
    conversions: fc.integer({ min: 0, max: 20 }),
    nulls: fc.integer({ min: 0, max: 20 }),
    value: fc.double({ min: 0, max: 1000, noNaN: true }),
    ages: fc.array(fc.double({ min: 0, max: 90 * 86_400_000, noNaN: true }), { minLength: 8, maxLength: 8 }),
  })
  .map(({ channels, conversions, nulls, value, ages }) => ({
    channels,
    conversions,
    nulls,
    value: conversions > 0 ? value : 0,
    touchAgesMs: ages.slice(0, channels.length),
  }));

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

describe('attribution properties', () => {
  it('every model credits exactly the total conversions and value, never negative or NaN', () => {
    fc.assert(
      fc.property(
        fc.array(pathArb, { minLength: 1, maxLength: 12 }),
        fc.constantFrom(1, 2, 3),
        fc.boolean(),
        (paths, order, useNulls) => {
          const report = attribute(toPathSet(paths), { order, useNulls });
          expect(report.models.map((m) => m.model)).toEqual([...ATTRIBUTION_MODELS]);
          for (const m of report.models) {
            const conv = m.credits.reduce((s, c) => s + c.conversions, 0);
            const value = m.credits.reduce((s, c) => s + c.value, 0);
            for (const c of m.credits) {
              expect(Number.isFinite(c.conversions) && c.conversions >= -1e-12).toBe(true);
              expect(Number.isFinite(c.value) && c.value >= -1e-9).toBe(true);
            }
            if (!close(conv, report.totals.conversions)) {
              throw new Error(`${m.model}: ${conv} conversions credited of ${report.totals.conversions}`);
            }
            if (!close(value, report.totals.value)) {
              throw new Error(`${m.model}: ${value} value credited of ${report.totals.value}`);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('Markov gives a lone channel everything, at every order, with or without nulls', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            length: fc.integer({ min: 1, max: 6 }),
            conversions: fc.integer({ min: 1, max: 9 }),
            nulls: fc.integer({ min: 0, max: 9 }),
            value: fc.double({ min: 0, max: 100, noNaN: true }),
          }),
          { minLength: 1, maxLength: 5 },
        ),
        fc.constantFrom(1, 2, 3),
        fc.boolean(),
        (rows, order, useNulls) => {
          const set = toPathSet(rows.map((r) => ({ ...r, channels: Array<string>(r.length).fill('email') })));
          const [only] = markov(set, { order, useNulls }).channels;
          const conversions = rows.reduce((s, r) => s + r.conversions, 0);
          const value = rows.reduce((s, r) => s + r.value, 0);
          expect(close(only!.conversions, conversions)).toBe(true);
          expect(close(only!.value, value)).toBe(true);
        },
      ),
    );
  });

  it('Markov P(conversion) is the observed conversion share (flow conservation)', () => {
    fc.assert(
      fc.property(
        fc.array(pathArb, { minLength: 1, maxLength: 12 }),
        fc.constantFrom(1, 2, 3),
        (paths, order) => {
          const conv = paths.reduce((s, p) => s + p.conversions, 0);
          const all = conv + paths.reduce((s, p) => s + p.nulls, 0);
          fc.pre(conv > 0);
          const r = markov(toPathSet(paths), { order, useNulls: true });
          expect(r.conversionProbability).toBeCloseTo(conv / all, 10);
        },
      ),
    );
  });

  it('Shapley enumeration equals the closed form', () => {
    fc.assert(
      fc.property(fc.array(pathArb, { minLength: 1, maxLength: 12 }), (paths) => {
        const set = toPathSet(paths);
        const a = shapley(set, { method: 'enumerate' });
        const b = shapley(set, { method: 'closed-form' });
        a.forEach((c, k) => expect(close(c.conversions, b[k]!.conversions)).toBe(true));
      }),
    );
  });
});
