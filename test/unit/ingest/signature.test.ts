import { createHmac } from 'node:crypto';
import { sign, signedMaterial, verifySignature } from '../../../src/ingest/signature.js';

const SECRET = 'acme-webhook-secret-0123456789';
const body = Buffer.from('{"ticket_id":"T-1","description":"printer","priority":"high"}');
const NOW = 1_760_000_000_000;
const policy = { secrets: [SECRET], requireTimestamp: false, maxSkewMs: 300_000, nowMs: NOW };

describe('webhook signature', () => {
  it('is sha256=<hex HMAC of the body> without a timestamp, as openssl computes it', () => {
    const hex = createHmac('sha256', SECRET).update(body).digest('hex');
    expect(sign(SECRET, body)).toBe(`sha256=${hex}`);
    expect(verifySignature({ body, signature: `sha256=${hex}` }, policy)).toEqual({ ok: true });
  });

  it('signs "<timestamp>.<body>" when a timestamp is sent', () => {
    const ts = String(NOW / 1000);
    expect(signedMaterial(body, ts).toString()).toBe(`${ts}.${body.toString()}`);
    expect(verifySignature({ body, signature: sign(SECRET, body, ts), timestamp: ts }, policy)).toEqual({
      ok: true,
    });
    // The body-only signature does not cover a timestamp, and vice versa.
    expect(verifySignature({ body, signature: sign(SECRET, body), timestamp: ts }, policy).ok).toBe(false);
    expect(verifySignature({ body, signature: sign(SECRET, body, ts) }, policy).ok).toBe(false);
  });

  it('refuses a timestamp outside the skew either way, and accepts one at the edge', () => {
    const at = (offsetS: number) => String(NOW / 1000 + offsetS);
    const check = (ts: string) =>
      verifySignature({ body, signature: sign(SECRET, body, ts), timestamp: ts }, policy);
    expect(check(at(-300))).toEqual({ ok: true });
    expect(check(at(300))).toEqual({ ok: true });
    expect(check(at(-301))).toEqual({ ok: false, reason: 'X-Timestamp outside the allowed window' });
    expect(check(at(301))).toEqual({ ok: false, reason: 'X-Timestamp outside the allowed window' });
    expect(check('17e8')).toEqual({ ok: false, reason: 'X-Timestamp is not unix seconds' });
  });

  it('requires a timestamp when the tenant says so', () => {
    const strict = { ...policy, requireTimestamp: true };
    expect(verifySignature({ body, signature: sign(SECRET, body) }, strict)).toEqual({
      ok: false,
      reason: 'missing X-Timestamp',
    });
  });

  it('refuses a missing, malformed, wrong-secret or tampered signature', () => {
    expect(verifySignature({ body }, policy)).toEqual({ ok: false, reason: 'missing X-Signature' });
    const hex = sign(SECRET, body).slice('sha256='.length);
    for (const bad of [hex, `sha1=${hex}`, `sha256=${hex.slice(2)}`, `sha256=${hex}00`, 'sha256=zz']) {
      expect(verifySignature({ body, signature: bad }, policy)).toEqual({
        ok: false,
        reason: 'X-Signature is not sha256=<64 hex digits>',
      });
    }
    expect(verifySignature({ body, signature: sign('another-secret-0123456789', body) }, policy)).toEqual({
      ok: false,
      reason: 'signature does not match',
    });
    const tampered = Buffer.from(body.toString().replace('high', 'low'));
    expect(verifySignature({ body: tampered, signature: sign(SECRET, body) }, policy).ok).toBe(false);
  });

  it('accepts any of a tenant’s secrets (rotation) and upper-case hex', () => {
    const rotating = { ...policy, secrets: ['new-secret-0123456789abc', SECRET] };
    expect(verifySignature({ body, signature: sign(SECRET, body) }, rotating)).toEqual({ ok: true });
    expect(
      verifySignature(
        { body, signature: sign(SECRET, body).toUpperCase().replace('SHA256=', 'sha256=') },
        policy,
      ),
    ).toEqual({ ok: true });
  });
});
