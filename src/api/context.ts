// What every route module receives: the store, the clock and the signing secret.
import type { Clock } from '../engine/clock.js';
import type { Store } from '../store/db.js';

export interface AppContext {
  store: Store;
  clock: Clock;
  secret: string;
  /** Secrets before the current one (BATON_SECRET_PREVIOUS): links they signed still verify. */
  previousSecrets?: readonly string[];
  /** Absolute base URL for links Baton puts in messages (tracking, unsubscribe). */
  publicUrl: string;
  /** The SMS provider's auth token, which signs its callbacks (BATON_SMS_AUTH_TOKEN); SMS routes refuse without it. */
  sms?: { authToken: string };
  /** The largest CSV upload POST /imports accepts, in bytes (BATON_IMPORT_MAX_BYTES; default 200 MB). */
  importMaxBytes?: number;
}
