import { TokenBucket } from '../lib/token-bucket.js';

/**
 * One token bucket per tenant. Buckets exist only for tenants in the tenants file (the limit is checked
 * after the signature), so the map is bounded by it.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
  ) {}

  /** 0 when the request may go ahead (a token was taken), else the ms until a token is there. */
  take(key: string, nowMs: number): number {
    let bucket = this.buckets.get(key);
    if (!bucket)
      this.buckets.set(key, (bucket = new TokenBucket(this.ratePerSecond, 1_000, this.burst, nowMs)));
    return bucket.take(nowMs);
  }

  /** Drops the buckets of tenants no longer in the file. */
  retain(keep: (key: string) => boolean): void {
    for (const key of this.buckets.keys()) if (!keep(key)) this.buckets.delete(key);
  }
}
