// Liquid for short texts (SMS bodies, webhook content): parsed once per source, rendered per contact.
// Lenient like email at send time: a missing variable renders empty.
import { Liquid, type Template } from 'liquidjs';
import type { OutboundMessage } from './channel.js';

const engine = new Liquid({ strictFilters: true, ownPropertyOnly: true });
const parsed = new Map<string, Template[]>();
const MAX_PARSED = 500;

export async function renderText(source: string, scope: Record<string, unknown>): Promise<string> {
  let t = parsed.get(source);
  if (!t) {
    t = engine.parse(source);
    if (parsed.size >= MAX_PARSED) parsed.delete(parsed.keys().next().value!);
    parsed.set(source, t);
  }
  return (await engine.render(t, scope)) as string;
}

/** What a text template sees: the contact (attributes at top level too), the campaign and the step. */
export function textScope(m: OutboundMessage): Record<string, unknown> {
  return {
    contact: { ...m.contact.attributes, ...m.contact, attributes: m.contact.attributes },
    campaign: { id: m.campaignId },
    step: { id: m.stepId, channel: m.channel, variant: m.variantId },
  };
}
