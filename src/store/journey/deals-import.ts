// Deals from a CRM export: a CSV of `Opportunity Created` / `Deal Won` rows with an amount, a time and the
// account (id, domain or external id), stored as account-level deal events. All or nothing: one bad row
// writes no row, and every issue names its line and column. A deal id makes a re-import idempotent.
import { parse } from 'csv-parse/sync';
import { BatonError, type FieldIssue } from '../../domain/errors.js';
import { DEAL_WON, OPPORTUNITY_CREATED } from '../../domain/journey.js';
import { parseDate } from '../../domain/segment.js';
import type { Store } from '../db.js';
import { appendEvents, type NewEvent } from '../events.repository.js';

const TYPES: Record<string, string> = {
  'opportunity created': OPPORTUNITY_CREATED,
  opportunity_created: OPPORTUNITY_CREATED,
  'deal won': DEAL_WON,
  deal_won: DEAL_WON,
};
const MAX_ROWS = 50_000;

export interface DealsImportResult {
  rows: number;
  stored: number;
  duplicates: number;
}

export async function importDeals(
  store: Store,
  workspaceId: string,
  csv: string,
  now: number,
): Promise<DealsImportResult> {
  let records: Record<string, string>[];
  try {
    records = parse(csv, {
      columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()),
      skip_empty_lines: true,
      trim: true,
      bom: true,
    });
  } catch (e) {
    throw BatonError.invalid([{ path: 'csv', message: `is not valid CSV: ${(e as Error).message}` }]);
  }
  if (records.length === 0)
    throw BatonError.invalid([{ path: 'csv', message: 'has no deal rows under its header' }]);
  if (records.length > MAX_ROWS)
    throw BatonError.invalid([
      { path: 'csv', message: `has ${records.length} rows; import at most ${MAX_ROWS} at once` },
    ]);
  const accounts = await store.db
    .selectFrom('accounts')
    .select(['id', 'domain', 'external_id'])
    .where('workspace_id', '=', workspaceId)
    .execute();
  const byId = new Set(accounts.map((a) => a.id));
  const byDomain = new Map(accounts.filter((a) => a.domain).map((a) => [a.domain!, a.id]));
  const byExternal = new Map(accounts.filter((a) => a.external_id).map((a) => [a.external_id!, a.id]));

  const issues: FieldIssue[] = [];
  const events: NewEvent[] = [];
  records.forEach((r, i) => {
    const line = i + 2;
    const at = (column: string, message: string): void => {
      issues.push({ path: `csv.line ${line}.${column}`, message });
    };
    const type = TYPES[(r.type ?? '').toLowerCase()];
    if (!type) at('type', 'must be "Opportunity Created" or "Deal Won"');
    const amount = Number(r.amount);
    if (r.amount === undefined || r.amount === '' || !Number.isFinite(amount) || amount < 0)
      at('amount', 'must be a number, 0 or more');
    const time = r.occurred_at ? parseDate(r.occurred_at) : undefined;
    if (!time)
      at('occurred_at', 'must be a date such as 2027-01-31 or a UTC time such as 2027-01-31T09:00:00Z');
    let accountId: string | undefined;
    if (r.account_id) accountId = byId.has(r.account_id) ? r.account_id : undefined;
    else if (r.account_domain) accountId = byDomain.get(r.account_domain.toLowerCase());
    else if (r.account_external_id) accountId = byExternal.get(r.account_external_id);
    if (!r.account_id && !r.account_domain && !r.account_external_id)
      at('account_id', 'names the account: account_id, account_domain or account_external_id');
    else if (!accountId) at('account_id', 'names no account of this workspace');
    if (!type || !time || !accountId || !Number.isFinite(amount)) return;
    const dealId = r.deal_id || null;
    events.push({
      workspaceId,
      type,
      occurredAt: time.ms,
      receivedAt: now,
      accountId,
      messageId: dealId ? `deal:${dealId}:${type}` : `deal-import:${accountId}:${type}:${time.ms}:${amount}`,
      properties: { amount, account_id: accountId, ...(dealId ? { deal_id: dealId } : {}), source: 'csv' },
    });
  });
  if (issues.length > 0)
    throw BatonError.invalid(issues, `${issues.length} deal row issue(s); nothing was imported`);
  const stored = await store.db.transaction().execute((trx) => appendEvents(trx, events));
  return { rows: records.length, stored, duplicates: records.length - stored };
}
