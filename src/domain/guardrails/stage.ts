// Stage-intent guardrails: a campaign (or step) aimed at a journey stage its audience is mostly not in,
// a step whose content is made for another stage than the one it targets (a decision-stage demo offer
// sent to awareness-stage contacts), and stage names the journey does not have.
import type { CampaignSpec } from '../campaign.js';
import type { Finding, JourneyFacts, LintFacts } from './types.js';

/** Below this share of the audience in the targeted stage, the audience is "mostly outside" it. */
export const IN_STAGE_SHARE = 0.5;

const pct = (x: number): string => `${Math.round(x * 100)}%`;

function unknown(j: JourneyFacts, stage: string | undefined, path: string): Finding[] {
  if (stage === undefined || j.stages.includes(stage)) return [];
  return [
    {
      code: 'stage_unknown',
      severity: 'warning',
      path,
      message: `the journey has no stage "${stage}"; use one of ${j.stages.join(', ')}`,
    },
  ];
}

function outside(j: JourneyFacts, stage: string | undefined, path: string, who: string): Finding[] {
  if (stage === undefined || !j.stages.includes(stage) || j.audienceTotal === 0) return [];
  const share = (j.audienceByStage[stage] ?? 0) / j.audienceTotal;
  if (share >= IN_STAGE_SHARE) return [];
  const top = Object.entries(j.audienceByStage).sort((a, b) => b[1] - a[1])[0];
  return [
    {
      code: 'audience_outside_stage',
      severity: 'warning',
      path,
      message:
        `${who} targets the ${stage} stage, but only ${pct(share)} of its audience is there` +
        (top ? ` (most are in ${top[0]}: ${pct(top[1] / j.audienceTotal)})` : ''),
    },
  ];
}

export function stageFindings(spec: CampaignSpec, facts: LintFacts): Finding[] {
  const j = facts.journey;
  if (!j) return [];
  const out: Finding[] = [];
  const campaignTargets = spec.stage?.targets;
  out.push(...unknown(j, campaignTargets, 'stage.targets'));
  out.push(...unknown(j, spec.stage?.moves_to, 'stage.moves_to'));
  out.push(...outside(j, campaignTargets, 'stage.targets', 'the campaign'));
  spec.sequence.forEach((step, i) => {
    const s = step.stage;
    if (!s) return;
    const at = `sequence.${i}.stage`;
    out.push(...unknown(j, s.targets, `${at}.targets`));
    out.push(...unknown(j, s.moves_to, `${at}.moves_to`));
    out.push(...unknown(j, s.intent, `${at}.intent`));
    if (s.targets !== undefined && s.targets !== campaignTargets)
      out.push(...outside(j, s.targets, `${at}.targets`, `step "${step.id}"`));
    const targets = s.targets ?? campaignTargets;
    if (s.intent === undefined || targets === undefined) return;
    if (!j.stages.includes(s.intent) || !j.stages.includes(targets)) return;
    // Content made for the stage the step targets, for the next one (it pulls people forward), or for
    // the stage the step or campaign means to move people to, fits.
    const movesTo = s.moves_to ?? spec.stage?.moves_to;
    if (s.intent === targets || s.intent === movesTo) return;
    if (j.stages.indexOf(s.intent) === j.stages.indexOf(targets) + 1) return;
    const gap = j.stages.indexOf(s.intent) - j.stages.indexOf(targets);
    out.push({
      code: 'step_intent_mismatch',
      severity: 'warning',
      path: `${at}.intent`,
      message: `step "${step.id}" carries ${s.intent}-stage content but targets ${targets}-stage contacts (${Math.abs(gap)} stage${Math.abs(gap) === 1 ? '' : 's'} ${gap > 0 ? 'ahead of' : 'behind'} them)`,
    });
  });
  return out;
}
