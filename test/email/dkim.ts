// A DKIM verifier for the tests (RFC 6376, rsa-sha256, relaxed or simple canonicalization), written from
// the RFC so the check does not rely on the signer's own code: body hash, then the signature over the
// canonicalized signed headers and the DKIM-Signature header with an empty b=.
import { createHash, createVerify, type KeyObject } from 'node:crypto';

function splitMessage(raw: string): { headers: string[]; body: string } {
  const at = raw.indexOf('\r\n\r\n');
  const head = at === -1 ? raw : raw.slice(0, at);
  const body = at === -1 ? '' : raw.slice(at + 4);
  const headers: string[] = [];
  for (const line of head.split('\r\n')) {
    if (/^[ \t]/.test(line) && headers.length > 0) headers[headers.length - 1] += '\r\n' + line;
    else headers.push(line);
  }
  return { headers, body };
}

function relaxedHeader(h: string): string {
  const i = h.indexOf(':');
  const name = h.slice(0, i).trim().toLowerCase();
  const value = h
    .slice(i + 1)
    .replace(/\r\n(?=[ \t])/g, '')
    .replace(/[ \t]+/g, ' ')
    .trim();
  return `${name}:${value}`;
}

function relaxedBody(body: string): string {
  const lines = body.split('\r\n').map((l) => l.replace(/[ \t]+/g, ' ').replace(/ $/, ''));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.length === 0 ? '' : lines.join('\r\n') + '\r\n';
}

function simpleBody(body: string): string {
  let b = body;
  while (b.endsWith('\r\n\r\n')) b = b.slice(0, -2);
  if (b === '' || !b.endsWith('\r\n')) b += '\r\n';
  return b;
}

export function verifyDkim(
  raw: Buffer,
  publicKey: KeyObject,
): { ok: boolean; reason: string; domain: string } {
  const { headers, body } = splitMessage(raw.toString('latin1'));
  const sigHeader = headers.find((h) => /^dkim-signature:/i.test(h));
  if (!sigHeader) return { ok: false, reason: 'no DKIM-Signature', domain: '' };
  const tags = new Map<string, string>();
  for (const part of sigHeader.slice(sigHeader.indexOf(':') + 1).split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    tags.set(part.slice(0, eq).trim(), part.slice(eq + 1).replace(/\s+/g, ''));
  }
  const [hc = 'simple', bc = 'simple'] = (tags.get('c') ?? 'simple/simple').split('/');
  if (tags.get('a') !== 'rsa-sha256') return { ok: false, reason: `algorithm ${tags.get('a')}`, domain: '' };
  const domain = tags.get('d') ?? '';
  const canonBody = bc === 'relaxed' ? relaxedBody(body) : simpleBody(body);
  const bh = createHash('sha256').update(canonBody, 'latin1').digest('base64');
  if (bh !== tags.get('bh')) return { ok: false, reason: 'body hash mismatch', domain };
  const used = new Map<string, number>();
  const lines: string[] = [];
  for (const name of (tags.get('h') ?? '').split(':')) {
    const lower = name.toLowerCase();
    const all = headers.filter((h) => h.slice(0, h.indexOf(':')).trim().toLowerCase() === lower);
    const n = used.get(lower) ?? 0;
    used.set(lower, n + 1);
    const h = all[all.length - 1 - n];
    if (h === undefined) continue;
    lines.push(hc === 'relaxed' ? relaxedHeader(h) : h);
  }
  const emptied = sigHeader.replace(/(\bb=)[^;]*/, '$1');
  lines.push(hc === 'relaxed' ? relaxedHeader(emptied) : emptied);
  const data = lines.join('\r\n');
  const ok = createVerify('RSA-SHA256')
    .update(data, 'latin1')
    .verify(publicKey, tags.get('b') ?? '', 'base64');
  return { ok, reason: ok ? 'pass' : 'signature mismatch', domain };
}
