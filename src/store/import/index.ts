// CSV import of contacts and accounts (streamed, validated by the API's rules, one transaction per file).
export type { RowIssue } from './columns.js';
export {
  importAccounts,
  importContacts,
  type ImportEntity,
  type ImportOptions,
  type ImportProgress,
  type ImportResult,
} from './import-file.js';
export { rejectsPathFor } from './rejects.js';
