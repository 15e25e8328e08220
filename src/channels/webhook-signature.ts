// Webhook signatures: each workspace's signing secret is derived from the instance secret (BATON_SECRET) and
// the workspace id, so nothing secret is stored per workspace and a leaked secret of one workspace says
// nothing about another's. The signature is HMAC-SHA256 over `timestamp + "." + body` (docs/webhooks.md).
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'baton-signature';

/** The workspace's signing secret; bumping `version` (workspace setting `webhooks.secret_version`) rotates it. */
export function webhookSigningSecret(instanceSecret: string, workspaceId: string, version = 1): string {
  const mac = createHmac('sha256', instanceSecret)
    .update(`baton-webhook-signing\u0000${workspaceId}\u0000${version}`)
    .digest('base64url');
  return `whsec_${mac}`;
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`. */
export function signWebhook(secret: string, timestampSeconds: number, body: string): string {
  const v1 = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${v1}`;
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
