// Deterministic assignment of an enrollment to the holdout or treatment arm and to experiment variants:
// the same campaign, step and contact always land in the same place, on any worker, in any run.
import { createHash } from 'node:crypto';

/** A uniform number in [0, 1) from the SHA-256 of the parts (53 bits of the digest). */
export function unitHash(...parts: string[]): number {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  const hi = digest.readUInt32BE(0) >>> 11; // 21 bits
  const lo = digest.readUInt32BE(4); // 32 bits
  return (hi * 2 ** 32 + lo) / 2 ** 53;
}

export type Arm = 'treatment' | 'holdout';

export function assignArm(campaignId: string, contactId: string, holdoutPercent: number): Arm {
  if (holdoutPercent <= 0) return 'treatment';
  return unitHash('arm', campaignId, contactId) < holdoutPercent / 100 ? 'holdout' : 'treatment';
}

/** Picks a variant in proportion to the weights (zero-weight variants are never picked). */
export function assignVariant(
  campaignId: string,
  stepId: string,
  contactId: string,
  variants: ReadonlyArray<{ id: string; weight: number }>,
): string | null {
  const total = variants.reduce((s, v) => s + Math.max(0, v.weight), 0);
  if (variants.length === 0 || total <= 0) return variants[0]?.id ?? null;
  let u = unitHash('variant', campaignId, stepId, contactId) * total;
  for (const v of variants) {
    u -= Math.max(0, v.weight);
    if (u < 0) return v.id;
  }
  return variants[variants.length - 1]!.id;
}

/**
 * Auto-winner steps: whether a contact is in the share that tests the variants at once (true) or is held
 * back for the winner (false). Its own hash, independent of the arm and of the variant draw, so the test
 * share splits across variants by their weights.
 */
export function inTestShare(campaignId: string, stepId: string, contactId: string, share: number): boolean {
  return unitHash('test', campaignId, stepId, contactId) < share;
}
