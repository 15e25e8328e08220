// What every route module receives: the store, the clock and the signing secret.
import type { Clock } from '../engine/clock.js';
import type { Store } from '../store/db.js';

export interface AppContext {
  store: Store;
  clock: Clock;
  secret: string;
  /** Absolute base URL for links Baton puts in messages (tracking, unsubscribe). */
  publicUrl: string;
}
