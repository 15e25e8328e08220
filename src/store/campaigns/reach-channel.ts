// The one rule for which channel's reachability filters a campaign audience. Launch, dynamic enrollment,
// forecast and lint all use it, so lint's "empty", "too broad" and overlap checks describe exactly the people
// a launch would enroll and a forecast would count.
import type { CampaignSpec } from '../../domain/campaign.js';
import type { ReachChannel } from '../audience.js';

/**
 * Email when any step emails, else SMS when any step texts, else none (webhooks, tasks, ads and log need no
 * address). A contact the campaign cannot email is left out of an emailing campaign even when its first step
 * is a text or a webhook: the sequence is written for people it can reach on its main address channel, and a
 * contact reachable on neither would only ever receive the steps that need no address.
 */
export function specReachChannel(spec: Pick<CampaignSpec, 'sequence'>): ReachChannel {
  if (spec.sequence.some((s) => s.channel === 'email')) return 'email';
  if (spec.sequence.some((s) => s.channel === 'sms')) return 'sms';
  return 'none';
}
