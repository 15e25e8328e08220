// Twilio request signatures (X-Twilio-Signature): base64 HMAC-SHA1, keyed with the account's auth token,
// over the full URL Twilio called followed by every POST parameter, sorted by name, as name + value
// (https://www.twilio.com/docs/usage/security#validating-requests).
import { createHmac, timingSafeEqual } from 'node:crypto';

export function twilioSignature(
  authToken: string,
  url: string,
  params: Record<string, string | string[]>,
): string {
  let data = url;
  for (const key of Object.keys(params).sort()) {
    const v = params[key]!;
    for (const value of Array.isArray(v) ? [...v].sort() : [v]) data += key + value;
  }
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

export function verifyTwilioSignature(
  authToken: string,
  signature: string | undefined,
  url: string,
  params: Record<string, string | string[]>,
): boolean {
  if (!signature) return false;
  const expected = Buffer.from(twilioSignature(authToken, url, params));
  const got = Buffer.from(signature);
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** A form body as Twilio sends it, repeated names kept as arrays. */
export function formParams(body: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(body)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}
