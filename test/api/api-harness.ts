// Builds the real Fastify app over a test store, with a simulated clock, and mints API keys for it.
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { ApiKeysRepository, type KeyScope } from '../../src/store/api-keys.repository.js';
import type { Store } from '../../src/store/db.js';

export const T0 = Date.parse('2027-01-04T12:00:00Z');

export async function apiFor(store: Store): Promise<{ app: FastifyInstance; clock: SimulatedClock }> {
  const clock = new SimulatedClock(T0);
  const app = await buildApp({ store, clock, secret: 's'.repeat(40), publicUrl: 'http://localhost:4400' });
  await app.ready();
  return { app, clock };
}

/** `Authorization` header of a fresh API key of the workspace with these scopes. */
export async function bearer(store: Store, workspaceId: string, scopes: KeyScope[]): Promise<string> {
  const { key } = await new ApiKeysRepository(store).create(workspaceId, { kind: 'api', scopes }, T0);
  return `Bearer ${key}`;
}
