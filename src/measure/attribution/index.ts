// Attribution: conversions and value credited to channels under every model, side by side (pure, no I/O).
import { BatonError } from '../../domain/errors.js';
import { firstTouch, lastTouch, linear, positionBased, timeDecay } from './heuristics.js';
import { markov, type MarkovResult } from './markov.js';
import { totalsOf, type ChannelCredit, type PathSet, type PathTotals } from './paths.js';
import { shapley } from './shapley.js';

export { DAY_MS, firstTouch, lastTouch, linear, positionBased, timeDecay } from './heuristics.js';
export {
  journeysFromEvents,
  type JourneyOptions,
  type Journeys,
  type TimedConversion,
  type TimedTouch,
} from './journeys.js';
export { markov, type MarkovOptions, type MarkovResult } from './markov.js';
export { parsePathsFile } from './paths-file.js';
export { toPathSet, totalsOf, type AttributionPath, type ChannelCredit, type PathSet } from './paths.js';
export { shapley } from './shapley.js';

export const ATTRIBUTION_MODELS = [
  'first_touch',
  'last_touch',
  'linear',
  'time_decay',
  'position_based',
  'markov',
  'shapley',
] as const;
export type AttributionModel = (typeof ATTRIBUTION_MODELS)[number];

export interface AttributeOptions {
  models?: readonly AttributionModel[];
  /** Markov order (1–3). Default 1. */
  order?: number;
  /** Markov: use non-converting paths. Default false. */
  useNulls?: boolean;
  /** Time decay half-life. Default 7 days. */
  halfLifeMs?: number;
}

export interface ModelCredits {
  model: AttributionModel;
  credits: ChannelCredit[];
  /** Present for Markov: removal effects, order and P(conversion). */
  markov?: Omit<MarkovResult, 'channels'> & {
    removalEffects: Array<{ channel: string; conversions: number; value: number }>;
  };
}

export interface AttributionReport {
  channels: readonly string[];
  totals: PathTotals;
  models: ModelCredits[];
}

export function parseModel(name: string): AttributionModel {
  const normal = name.trim().toLowerCase().replace(/-/g, '_');
  if ((ATTRIBUTION_MODELS as readonly string[]).includes(normal)) return normal as AttributionModel;
  throw BatonError.invalid([
    {
      path: 'model',
      message: `${JSON.stringify(name)} is not a model; use one of ${ATTRIBUTION_MODELS.join(', ')} or all`,
    },
  ]);
}

/** Runs the chosen models (all by default) over the same paths. */
export function attribute(set: PathSet, options: AttributeOptions = {}): AttributionReport {
  const models = options.models ?? ATTRIBUTION_MODELS;
  const out: ModelCredits[] = models.map((model): ModelCredits => {
    switch (model) {
      case 'first_touch':
        return { model, credits: firstTouch(set) };
      case 'last_touch':
        return { model, credits: lastTouch(set) };
      case 'linear':
        return { model, credits: linear(set) };
      case 'time_decay':
        return { model, credits: timeDecay(set, { halfLifeMs: options.halfLifeMs }) };
      case 'position_based':
        return { model, credits: positionBased(set) };
      case 'shapley':
        return { model, credits: shapley(set) };
      case 'markov': {
        const r = markov(set, { order: options.order, useNulls: options.useNulls });
        return {
          model,
          credits: r.channels.map(({ channel, conversions, value }) => ({ channel, conversions, value })),
          markov: {
            order: r.order,
            useNulls: r.useNulls,
            states: r.states,
            conversionProbability: r.conversionProbability,
            removalEffects: r.channels.map((c) => ({
              channel: c.channel,
              conversions: c.removalEffect,
              value: c.valueRemovalEffect,
            })),
          },
        };
      }
    }
  });
  return { channels: set.channels, totals: totalsOf(set), models: out };
}
