// Webhook signatures: each workspace's signing secret is derived from the instance secret (BATON_SECRET) and
// the workspace id, so nothing secret is stored per workspace and a leaked secret of one workspace says
// nothing about another's. The signature is HMAC-SHA256 over `timestamp + "." + body` (docs/webhooks.md).
// After a rotation, requests carry a second `v1=` signature made with the previous secret until its grace
// period ends, so receivers can switch secrets whenever they like within it.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'baton-signature';

/** The workspace's signing secret; bumping `version` (workspace setting `webhooks.secret_version`) rotates it. */
export function webhookSigningSecret(instanceSecret: string, workspaceId: string, version = 1): string {
  const mac = createHmac('sha256', instanceSecret)
    .update(`baton-webhook-signing\u0000${workspaceId}\u0000${version}`)
    .digest('base64url');
  return `whsec_${mac}`;
}

/** The workspace's webhook settings that name its secrets (see src/domain/workspace-settings.ts). */
export interface SigningSettings {
  secret_version: number;
  previous_secret: { version: number; valid_until: string } | null;
}

/**
 * The secrets to sign with at `now` (epoch ms): the current one first, then the previous one while its grace
 * period lasts (`valid_until` excluded).
 */
export function signingSecrets(
  instanceSecret: string,
  workspaceId: string,
  settings: SigningSettings,
  now: number,
): string[] {
  const secrets = [webhookSigningSecret(instanceSecret, workspaceId, settings.secret_version)];
  const previous = settings.previous_secret;
  if (previous && previous.version !== settings.secret_version && now < Date.parse(previous.valid_until)) {
    secrets.push(webhookSigningSecret(instanceSecret, workspaceId, previous.version));
  }
  return secrets;
}

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`, with one `v1=` per secret in the order
 * given (the current secret first; a receiver accepts the request when any of them matches its secret).
 */
export function signWebhook(
  secret: string | readonly string[],
  timestampSeconds: number,
  body: string,
): string {
  const v1 = (typeof secret === 'string' ? [secret] : secret).map(
    (s) => `v1=${createHmac('sha256', s).update(`${timestampSeconds}.${body}`).digest('hex')}`,
  );
  return [`t=${timestampSeconds}`, ...v1].join(',');
}

/**
 * Checks a `Baton-Signature` header against the raw body: the signature must match and the timestamp be
 * within `toleranceSeconds` of `nowSeconds` (a captured request cannot be replayed later).
 */
export function verifyWebhook(
  secret: string,
  header: string,
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const parts = new Map<string, string[]>();
  for (const item of header.split(',')) {
    const i = item.indexOf('=');
    if (i <= 0) continue;
    const k = item.slice(0, i).trim();
    parts.set(k, [...(parts.get(k) ?? []), item.slice(i + 1).trim()]);
  }
  const t = Number(parts.get('t')?.[0]);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'));
  return (parts.get('v1') ?? []).some((v) => {
    const got = Buffer.from(v);
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}
