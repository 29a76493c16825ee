import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The webhook's signature scheme (the Stripe/Slack one):
 * - without a timestamp: `X-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`;
 * - with `X-Timestamp: <unix seconds>`: the HMAC is over `<timestamp>.<raw body>`, and the timestamp
 *   must be within the allowed skew of now, so a captured request cannot be replayed later.
 * A tenant may hold several secrets (rotation): any one of them verifies.
 */
export const SIGNATURE_PREFIX = 'sha256=';

export type SignatureCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface SignedRequest {
  readonly body: Buffer;
  /** The X-Signature header, if any. */
  readonly signature?: string;
  /** The X-Timestamp header, if any. */
  readonly timestamp?: string;
}

export interface SignaturePolicy {
  readonly secrets: readonly string[];
  /** Refuse requests without X-Timestamp (no replay bound otherwise). */
  readonly requireTimestamp: boolean;
  readonly maxSkewMs: number;
  readonly nowMs: number;
}

/** The material that is signed: the body, or `<timestamp>.<body>` when a timestamp is sent. */
export function signedMaterial(body: Buffer, timestamp?: string): Buffer {
  return timestamp === undefined ? body : Buffer.concat([Buffer.from(`${timestamp}.`), body]);
}

/** `sha256=<hex>` for `body` (and `timestamp`) under `secret`: what a sender puts in X-Signature. */
export function sign(secret: string, body: Buffer, timestamp?: string): string {
  return (
    SIGNATURE_PREFIX + createHmac('sha256', secret).update(signedMaterial(body, timestamp)).digest('hex')
  );
}

const HEX_SHA256 = /^[0-9a-f]{64}$/i;
const UNIX_SECONDS = /^\d{1,12}$/;

export function verifySignature(req: SignedRequest, policy: SignaturePolicy): SignatureCheck {
  if (req.signature === undefined) return { ok: false, reason: 'missing X-Signature' };
  const sig = req.signature.trim();
  const hex = sig.startsWith(SIGNATURE_PREFIX) ? sig.slice(SIGNATURE_PREFIX.length) : '';
  if (!HEX_SHA256.test(hex)) return { ok: false, reason: 'X-Signature is not sha256=<64 hex digits>' };
  if (req.timestamp === undefined) {
    if (policy.requireTimestamp) return { ok: false, reason: 'missing X-Timestamp' };
  } else {
    if (!UNIX_SECONDS.test(req.timestamp)) return { ok: false, reason: 'X-Timestamp is not unix seconds' };
    const skewMs = Math.abs(policy.nowMs - Number(req.timestamp) * 1000);
    if (skewMs > policy.maxSkewMs) return { ok: false, reason: 'X-Timestamp outside the allowed window' };
  }
  // Equal length by construction (32 bytes each), as timingSafeEqual requires.
  const given = Buffer.from(hex, 'hex');
  const material = signedMaterial(req.body, req.timestamp);
  // Every secret is tried, so the time taken does not tell which one (if any) nearly matched.
  let match = false;
  for (const secret of policy.secrets) {
    const expected = createHmac('sha256', secret).update(material).digest();
    match = timingSafeEqual(expected, given) || match;
  }
  return match ? { ok: true } : { ok: false, reason: 'signature does not match' };
}
