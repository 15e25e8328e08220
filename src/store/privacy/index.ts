// Privacy: export and erasure of one person, the erased-email suppression, event retention, and the
// registry of tables that hold rows about people.
export { eraseContact, type ErasureResult } from './erase-contact.js';
export { exportContact, type ContactExport } from './export-contact.js';
export {
  erasedEmailKey,
  erasedEmailKeys,
  isErasedEmail,
  refuseErasedEmail,
  ERASED_MESSAGE,
} from './erased-emails.js';
export { pruneOldEvents } from './retention.js';
export { PERSON_TABLES, personTable, type PersonTable } from './person-tables.js';
export { listColumns, tablesWithContactId, isTextual, type ColumnInfo } from './columns.js';
