// The `ads` channel: a step `{ channel: ads, audience: NAME }` puts the contact into the workspace's ads
// audience of that name, hashed as Google Ads and Meta want it (channels/ads/identifiers.ts). The
// audience is exported as customer-list files (api/routes/ads-audiences.routes.ts); contacts leave it when
// their enrollment exits, when they unsubscribe, or when they are suppressed or erased.
import { AdsAudiencesRepository, type NewMember } from '../store/ads-audiences.repository.js';
import type { Store } from '../store/db.js';
import { SuppressionsRepository } from '../store/suppressions.repository.js';
import { hashIdentifiers } from './ads/identifiers.js';
import type { Channel, OutboundMessage, SendResult } from './channel.js';

function attribute(attrs: Record<string, unknown>, keys: string[]): string | null {
  for (const k of keys) {
    const v = attrs[k];
    if (typeof v === 'string' && v.trim() !== '') return v;
    if (typeof v === 'number') return String(v);
  }
  return null;
}

export class AdsChannel implements Channel {
  readonly name = 'ads';

  constructor(private readonly store: Store) {}

  async send(batch: OutboundMessage[]): Promise<SendResult[]> {
    const results: SendResult[] = new Array<SendResult>(batch.length);
    const audiences = new AdsAudiencesRepository(this.store);
    const suppressions = new SuppressionsRepository(this.store);
    const enrollmentOf = await this.enrollments(batch);
    // One audience write per (workspace, audience) in the batch.
    const groups = new Map<string, { ws: string; name: string; members: NewMember[]; at: number[] }>();
    for (const [i, m] of batch.entries()) {
      const name = typeof m.content.audience === 'string' ? m.content.audience.trim() : '';
      if (name === '') {
        results[i] = { status: 'failed', error: 'audience: the ads step names no audience' };
        continue;
      }
      if (m.contact.email && (await suppressions.isSuppressed(m.workspaceId, m.contact.email))) {
        results[i] = { status: 'failed', error: 'the contact is on the suppression list' };
        continue;
      }
      const identifiers = hashIdentifiers({
        email: m.contact.email,
        phone: m.contact.phone,
        firstName: m.contact.first_name,
        lastName: m.contact.last_name,
        country: attribute(m.contact.attributes, ['country', 'country_code']),
        zip: attribute(m.contact.attributes, ['zip', 'postal_code', 'zip_code']),
      });
      if (!identifiers.google.email && !identifiers.google.phone) {
        results[i] = {
          status: 'failed',
          error: 'the contact has no email or phone an ad platform can match',
        };
        continue;
      }
      const key = `${m.workspaceId}\u0000${name}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { ws: m.workspaceId, name, members: [], at: [] }));
      g.members.push({
        contactId: m.contact.id,
        campaignId: m.campaignId,
        enrollmentId: enrollmentOf.get(m.touchId) ?? null,
        identifiers,
      });
      g.at.push(i);
    }
    for (const g of groups.values()) {
      const now = batch[g.at[0]!]!.now;
      try {
        const audienceId = await audiences.ensure(g.ws, g.name, now);
        await audiences.addMembers(g.ws, audienceId, g.members, now);
        for (const i of g.at) results[i] = { status: 'sent', details: { audience: g.name, audienceId } };
      } catch (e) {
        for (const i of g.at) results[i] = { status: 'retry', error: (e as Error).message };
      }
    }
    return results;
  }

  private async enrollments(batch: OutboundMessage[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const ids = batch.map((m) => m.touchId);
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.store.db
        .selectFrom('touches')
        .select(['id', 'enrollment_id'])
        .where('id', 'in', ids.slice(i, i + 500))
        .execute();
      for (const r of rows) out.set(r.id, r.enrollment_id);
    }
    return out;
  }
}
