import { describe, expect, it } from 'vitest';
import { newcombeDifference } from './newcombe.js';

// Newcombe RG (1998), Statistics in Medicine 17:873–890, Table II, method 10 ("score, no continuity
// correction"): 95% limits for the difference of two independent proportions in the paper's examples.
const TABLE_II: Array<[x1: number, n1: number, x2: number, n2: number, lower: number, upper: number]> = [
  [56, 70, 48, 80, 0.0524, 0.3339], // (a)
  [9, 10, 3, 10, 0.1705, 0.809], // (b)
  [6, 7, 2, 7, 0.0582, 0.8062], // (c)
  [5, 56, 0, 29, -0.0381, 0.1926], // (d)
  [0, 10, 0, 20, -0.1611, 0.2775], // (e)
  [0, 10, 0, 10, -0.2775, 0.2775], // (f)
  [10, 10, 0, 20, 0.6791, 1], // (g)
  [10, 10, 0, 10, 0.6075, 1], // (h)
];

describe('Newcombe hybrid score interval for a difference of proportions', () => {
  it.each(TABLE_II)(
    '%i/%i − %i/%i matches Newcombe (1998) Table II, method 10',
    (x1, n1, x2, n2, lower, upper) => {
      const r = newcombeDifference(x1, n1, x2, n2);
      expect(r.lower).toBeCloseTo(lower, 4);
      expect(r.upper).toBeCloseTo(upper, 4);
      expect(r.lower).toBeLessThanOrEqual(r.estimate);
      expect(r.upper).toBeGreaterThanOrEqual(r.estimate);
    },
  );
});
