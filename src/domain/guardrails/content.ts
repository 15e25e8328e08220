// Content guardrails over precomputed render checks: templates exist, render, personalise and unsubscribe.
import type { CampaignSpec } from '../campaign.js';
import type { Finding, LintFacts } from './types.js';

export function contentFindings(spec: CampaignSpec, facts: LintFacts): Finding[] {
  const out: Finding[] = [];
  for (const r of facts.renders) {
    const step = spec.sequence[r.stepIndex];
    const label = `step "${step?.id ?? r.stepIndex}"`;
    if (r.notFound) {
      out.push({
        code: 'template_not_found',
        severity: 'blocking',
        path: r.path,
        message: `${label} references template "${r.ref}", which is neither next to the campaign file nor in the workspace`,
      });
      continue;
    }
    if (r.compileError !== null) {
      out.push({
        code: 'template_render_failed',
        severity: 'blocking',
        path: r.path,
        message: `${label}: ${r.field} ${r.ref === 'inline' ? '' : `"${r.ref}" `}does not render: ${r.compileError}`,
      });
      continue;
    }
    const first = r.failures[0];
    if (first) {
      out.push({
        code: 'template_render_failed',
        severity: 'blocking',
        path: r.path,
        message: `${label}: ${r.field} ${r.ref === 'inline' ? '' : `"${r.ref}" `}does not render for ${r.failures.length} of ${r.sampled} sample contacts (contact ${first.contactId}: ${first.message})`,
      });
    }
    if (r.missingVariables.length > 0 && r.sampled > 0) {
      out.push({
        code: 'template_variable_missing',
        severity: 'warning',
        path: r.path,
        message: `${label}: no sample contact has ${r.missingVariables.join(', ')}; add a default (\`| default: "…"\`) or fill the field`,
      });
    }
  }
  spec.sequence.forEach((step, i) => {
    if (step.channel !== 'email' || step.purpose !== 'marketing') return;
    const bodies = facts.renders.filter(
      (r) => r.stepIndex === i && r.field !== 'subject' && !r.notFound && r.compileError === null,
    );
    for (const r of bodies) {
      if (!r.hasUnsubscribeLink) {
        out.push({
          code: 'unsubscribe_link_missing',
          severity: 'blocking',
          path: r.path,
          message: `marketing email step "${step.id}" has no unsubscribe link: put {{ links.unsubscribe }} in the footer (or mark the step purpose: transactional)`,
        });
      }
    }
  });
  return out;
}
