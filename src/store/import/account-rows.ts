// One CSV row → one account candidate, validated by the API's zod schema itself (account files are small
// next to contact files, so the exact schema per row costs nothing that matters).
import { accountCreateSchema } from '../../domain/contact.js';
import { extrasJson, type HeaderPlan, type RowIssue } from './columns.js';
import { cell, withValue } from './contact-rows.js';

export const ACCOUNT_FIELDS = ['domain', 'external_id', 'name', 'industry', 'size', 'owner'] as const;
export type AccountField = (typeof ACCOUNT_FIELDS)[number];
export const ACCOUNT_KEYS = ['domain', 'external_id'] as const;

/** The stored columns an import writes, in this order (null: the cell was empty). */
export const ACCOUNT_COLUMNS = ['domain', 'external_id', 'name', 'industry', 'size', 'owner'] as const;

export interface AccountCandidate {
  values: Array<string | number | null>; // ACCOUNT_COLUMNS order
  domain: string | null;
  externalId: string | null;
  attributes: string | undefined;
}

export class AccountRowValidator {
  constructor(private readonly plan: HeaderPlan<AccountField>) {}

  validate(fields: string[], line: number, issues: RowIssue[]): AccountCandidate | undefined {
    const ix = this.plan.index;
    const input: Record<string, unknown> = {};
    const raw: Partial<Record<AccountField, string>> = {};
    for (const f of ACCOUNT_FIELDS) {
      const v = cell(fields, ix[f]);
      if (v === '') continue;
      raw[f] = v;
      input[f] = f === 'size' && /^-?\d+$/.test(v) ? Number(v) : v;
    }
    const before = issues.length;
    if (typeof input.size === 'string') {
      issues.push({
        line,
        column: this.column('size'),
        reason: withValue('must be a whole number', raw.size),
      });
      delete input.size;
    }
    const parsed = accountCreateSchema.safeParse(input);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = String(issue.path[0] ?? 'domain') as AccountField;
        issues.push({ line, column: this.column(field), reason: withValue(issue.message, raw[field]) });
      }
    }
    if (!parsed.success || issues.length > before) return undefined;
    const a = parsed.data;
    return {
      values: [
        a.domain ?? null,
        a.external_id ?? null,
        a.name ?? null,
        a.industry ?? null,
        a.size ?? null,
        a.owner ?? null,
      ],
      domain: a.domain ?? null,
      externalId: a.external_id ?? null,
      attributes: extrasJson(fields, this.plan.extras),
    };
  }

  private column(field: AccountField): string {
    return this.plan.names[this.plan.index[field]] ?? field;
  }
}
