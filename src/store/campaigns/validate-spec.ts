// Turns raw input (a parsed YAML file or an API body) into a CampaignSpec, or BatonError('invalid_input')
// naming each offending path. Segment rules are checked here too, so nothing invalid is ever stored.
import { campaignSchema, type CampaignSpec } from '../../domain/campaign.js';
import { BatonError, zodIssues, type FieldIssue } from '../../domain/errors.js';
import { checkRule } from '../../domain/segment.js';

export function campaignIssues(raw: unknown): { spec?: CampaignSpec; issues: FieldIssue[] } {
  const parsed = campaignSchema.safeParse(raw);
  if (!parsed.success) {
    // An unknown key is reported at the key itself (`budjet`), so files can point at its line.
    const flat = parsed.error.issues.flatMap((i) =>
      i.code === 'unrecognized_keys'
        ? i.keys.map((k) => ({ path: [...i.path, k], message: 'is not a known field (check the spelling)' }))
        : [i],
    );
    return { issues: zodIssues(flat) };
  }
  const spec = JSON.parse(JSON.stringify(parsed.data)) as CampaignSpec;
  const issues: FieldIssue[] = [];
  const audience = spec.audience;
  if (audience?.segment !== undefined) {
    if (audience.segment_id !== undefined) {
      issues.push({
        path: 'audience.segment_id',
        message: 'give either segment (inline rules) or segment_id, not both',
      });
    }
    issues.push(...checkRule(audience.segment, 'audience.segment').issues);
  }
  return issues.length ? { issues } : { spec, issues };
}

/** The validated spec (JSON-normalised: no undefined keys, dates as strings). */
export function validateCampaignSpec(raw: unknown): CampaignSpec {
  const { spec, issues } = campaignIssues(raw);
  if (!spec) throw BatonError.invalid(issues);
  return spec;
}
