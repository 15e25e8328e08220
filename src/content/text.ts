// Plain text with Liquid for people rather than inboxes (a sales task's instructions): the contact, its
// account and the campaign in scope, lenient like email at send time (a missing variable renders empty).
import { Liquid, type Template } from 'liquidjs';
import { BatonError } from '../domain/errors.js';

const engine = new Liquid({ strictFilters: true, ownPropertyOnly: true });
const parsed = new Map<string, Template[]>();

export interface TextScope {
  contact: Record<string, unknown>;
  account: Record<string, unknown> | null;
  campaign: { id: string; name: string };
  step: { id: string; channel: string };
}

/** Renders `source` for one contact; a source that does not parse is `invalid_input` naming `field`. */
export function renderText(source: string, scope: TextScope, field = 'instructions'): string {
  let templates = parsed.get(source);
  if (!templates) {
    try {
      templates = engine.parse(source);
    } catch (e) {
      const reason = (e instanceof Error ? e.message : String(e)).split('\n')[0];
      throw BatonError.invalid([{ path: field, message: `does not parse as Liquid: ${reason}` }]);
    }
    if (parsed.size >= 1000) parsed.clear();
    parsed.set(source, templates);
  }
  return engine.renderSync(templates, scope) as string;
}
