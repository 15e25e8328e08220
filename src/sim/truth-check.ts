// The simulator's ground truth for one campaign, in the units Baton measures: incremental conversions in
// the treatment arm (what holdout lift estimates) and each channel's true share of them (what attribution
// models try to divide).
import type { ConversionTruth } from './market.js';

export interface CampaignTruthInput {
  goalEvent: string;
  /** Conversions count from the campaign start to its end plus the goal's lookback. */
  from: number;
  to: number;
  /** External ids of the treatment arm. */
  treatment: ReadonlySet<string>;
}

export interface CampaignTruth {
  treatmentConversions: number;
  /** Treatment conversions that would have happened in the span with no touch at all. */
  counterfactualConversions: number;
  /** The true incremental conversions: actual minus counterfactual, in the treatment arm. */
  incremental: number;
  /** Incremental conversions by the channel of the touch that caused them. */
  byChannel: Record<string, number>;
}

export function campaignTruth(
  conversions: readonly ConversionTruth[],
  input: CampaignTruthInput,
): CampaignTruth {
  const inSpan = (t: number): boolean => t >= input.from && t < input.to;
  let actual = 0;
  let counterfactual = 0;
  const byChannel: Record<string, number> = {};
  for (const c of conversions) {
    if (c.event !== input.goalEvent || !input.treatment.has(c.contact)) continue;
    const happened = inSpan(c.at);
    const anyway = inSpan(c.baselineAt);
    if (happened) actual++;
    if (anyway) counterfactual++;
    if (happened && !anyway && c.cause.kind === 'touch' && c.cause.channel) {
      byChannel[c.cause.channel] = (byChannel[c.cause.channel] ?? 0) + 1;
    }
  }
  // People whose counterfactual conversion fell in the span are counted even when a touch made them convert
  // earlier, or a later one made it fall outside: incremental = actual − counterfactual.
  return {
    treatmentConversions: actual,
    counterfactualConversions: counterfactual,
    incremental: actual - counterfactual,
    byChannel,
  };
}
