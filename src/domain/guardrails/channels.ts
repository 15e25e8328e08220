// Channel guardrails: every step uses a declared channel, every declared channel is used, content exists.
import type { CampaignSpec } from '../campaign.js';
import type { Finding } from './types.js';

const NEEDS_CONTENT = new Set(['email', 'sms']);

export function channelFindings(spec: CampaignSpec): Finding[] {
  const out: Finding[] = [];
  const declared = new Set(spec.channels);
  spec.sequence.forEach((step, i) => {
    if (!declared.has(step.channel)) {
      out.push({
        code: 'step_channel_undeclared',
        severity: 'blocking',
        path: `sequence.${i}.channel`,
        message: `step "${step.id}" uses ${step.channel}, which the campaign does not declare in channels (${spec.channels.join(', ') || 'none'})`,
      });
    }
    if (NEEDS_CONTENT.has(step.channel)) {
      const variants = step.variants ?? [];
      const stepHas = step.template !== undefined || step.body !== undefined;
      const missing =
        variants.length > 0
          ? variants
              .map((v, j) => ({ v, j }))
              .filter(({ v }) => !stepHas && v.template === undefined && v.body === undefined)
          : stepHas
            ? []
            : [null];
      for (const m of missing) {
        out.push({
          code: 'step_content_missing',
          severity: 'blocking',
          path: m === null ? `sequence.${i}` : `sequence.${i}.variants.${m.j}`,
          message: `${step.channel} step "${step.id}"${m === null ? '' : ` variant "${m.v.id}"`} has no template and no body`,
        });
      }
    }
  });
  const used = new Set(spec.sequence.map((s) => s.channel));
  spec.channels.forEach((ch, i) => {
    if (!used.has(ch)) {
      out.push({
        code: 'channel_unused',
        severity: 'warning',
        path: `channels.${i}`,
        message: `the campaign declares ${ch} but no step uses it: add a step or remove the channel`,
      });
    }
  });
  return out;
}
