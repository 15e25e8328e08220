// One CSV row → one contact candidate, checked by the API's own rules (the helpers and, for the message
// of a failing field, the zod schema of src/domain/contact.ts) without running zod on every row.
import {
  contactCreateSchema,
  contactInputSchema,
  isValidEmail,
  LIFECYCLE_STAGES,
  normalizeDomain,
  normalizeEmail,
  SUBSCRIPTION_STATUSES,
} from '../../domain/contact.js';
import { isValidTimeZone } from '../../domain/time-zones.js';
import { extrasJson, parseFlag, schemaMessage, type HeaderPlan, type RowIssue } from './columns.js';

export const CONTACT_FIELDS = [
  'email',
  'external_id',
  'phone',
  'first_name',
  'last_name',
  'title',
  'time_zone',
  'lifecycle_stage',
  'subscription_status',
  'sms_consent',
  'account_id',
  'account_domain',
  'account_external_id',
] as const;
export type ContactField = (typeof CONTACT_FIELDS)[number];
export const CONTACT_KEYS = ['email', 'external_id'] as const;

/** The stored columns an import writes, in this order (null: the cell was empty). */
export const CONTACT_COLUMNS = [
  'email',
  'external_id',
  'phone',
  'first_name',
  'last_name',
  'title',
  'time_zone',
  'lifecycle_stage',
  'subscription_status',
  'sms_consent',
  'account_id',
] as const;

export interface ContactCandidate {
  values: Array<string | number | null>; // CONTACT_COLUMNS order; account_id filled in by the importer
  email: string | null;
  externalId: string | null;
  /** The account the row names explicitly, resolved by the importer against the workspace's accounts. */
  account: { by: 'id' | 'domain' | 'external_id'; value: string } | undefined;
  /** JSON object of the unknown columns, or undefined when they are all empty. */
  attributes: string | undefined;
}

const shape = contactInputSchema.shape;
const STAGES = new Set<string>(LIFECYCLE_STAGES);
const STATUSES = new Set<string>(SUBSCRIPTION_STATUSES);
// Text fields: the schema's shortest limit; anything longer goes through the schema for the verdict.
const SHORT_TEXT = 200;
const NEEDS_KEY = schemaMessage(contactCreateSchema, {}) ?? 'needs an email or an external_id';
const FLAG_MESSAGE = 'must be true or false (also yes/no, 1/0)';

/** A row checker bound to one header; returns undefined (and appends issues) when the row is invalid. */
export class ContactRowValidator {
  private readonly ix: Record<ContactField, number>;

  constructor(private readonly plan: HeaderPlan<ContactField>) {
    this.ix = plan.index;
  }

  validate(fields: string[], line: number, issues: RowIssue[]): ContactCandidate | undefined {
    const ix = this.ix;
    const before = issues.length;

    let email: string | null = null;
    const rawEmail = cell(fields, ix.email);
    if (rawEmail !== '') {
      const e = normalizeEmail(rawEmail);
      if (isValidEmail(e)) email = e;
      else this.fail(issues, line, 'email', schemaMessage(shape.email, rawEmail), rawEmail);
    }
    const externalId = this.text(fields, line, issues, 'external_id');
    let phone: string | null = cell(fields, ix.phone);
    if (phone === '') phone = null;
    else {
      const m = schemaMessage(shape.phone, phone);
      if (m) this.fail(issues, line, 'phone', m, phone);
    }
    const firstName = this.text(fields, line, issues, 'first_name');
    const lastName = this.text(fields, line, issues, 'last_name');
    const title = this.text(fields, line, issues, 'title');

    let timeZone: string | null = cell(fields, ix.time_zone);
    if (timeZone === '') timeZone = null;
    else if (!isValidTimeZone(timeZone)) {
      this.fail(issues, line, 'time_zone', schemaMessage(shape.time_zone, timeZone), timeZone);
    }
    let stage: string | null = cell(fields, ix.lifecycle_stage);
    if (stage === '') stage = null;
    else if (!STAGES.has(stage)) {
      this.fail(issues, line, 'lifecycle_stage', schemaMessage(shape.lifecycle_stage, stage), stage);
    }
    let status: string | null = cell(fields, ix.subscription_status);
    if (status === '') status = null;
    else if (!STATUSES.has(status)) {
      this.fail(
        issues,
        line,
        'subscription_status',
        schemaMessage(shape.subscription_status, status),
        status,
      );
    }
    let sms: number | null = null;
    const rawSms = cell(fields, ix.sms_consent);
    if (rawSms !== '') {
      const flag = parseFlag(rawSms);
      if (flag === undefined) this.fail(issues, line, 'sms_consent', FLAG_MESSAGE, rawSms);
      else sms = flag;
    }

    let account: ContactCandidate['account'];
    const accountId = cell(fields, ix.account_id);
    const accountExternal = cell(fields, ix.account_external_id);
    const accountDomain = cell(fields, ix.account_domain);
    if (accountId !== '') account = { by: 'id', value: accountId };
    else if (accountExternal !== '') account = { by: 'external_id', value: accountExternal };
    else if (accountDomain !== '') account = { by: 'domain', value: normalizeDomain(accountDomain) };

    if (email === null && externalId === null && issues.length === before) {
      this.fail(issues, line, ix.email >= 0 ? 'email' : 'external_id', NEEDS_KEY, undefined);
    }
    if (issues.length > before) return undefined;
    return {
      values: [email, externalId, phone, firstName, lastName, title, timeZone, stage, status, sms, null],
      email,
      externalId,
      account,
      attributes: extrasJson(fields, this.plan.extras),
    };
  }

  /** Optional text with the schema's length limit. */
  private text(
    fields: string[],
    line: number,
    issues: RowIssue[],
    field: 'external_id' | 'first_name' | 'last_name' | 'title',
  ): string | null {
    const v = cell(fields, this.ix[field]);
    if (v === '') return null;
    if (v.length > SHORT_TEXT) {
      const m = schemaMessage(shape[field], v);
      if (m) this.fail(issues, line, field, m, v);
    }
    return v;
  }

  private fail(
    issues: RowIssue[],
    line: number,
    field: ContactField,
    message: string | undefined,
    value: string | undefined,
  ): void {
    const column = this.plan.names[this.ix[field]] ?? field;
    issues.push({ line, column, reason: withValue(message ?? 'is not valid', value) });
  }
}

export function cell(fields: string[], i: number): string {
  return i < 0 ? '' : fields[i]!.trim();
}

export function withValue(reason: string, value: string | undefined): string {
  if (value === undefined) return reason;
  const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
  return `${reason} (got ${JSON.stringify(shown)})`;
}
