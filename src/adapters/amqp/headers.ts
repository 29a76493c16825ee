/** The headers enhancer reads and writes. Attempts travel here, never in x-death. */
export const H = {
  attempt: 'x-enhancer-attempt',
  /** Broker redeliveries a job has already had before it was moved to the suspect queue. */
  redeliveries: 'x-enhancer-redeliveries',
  firstFailureAt: 'x-enhancer-first-failure-at',
  lastFailureAt: 'x-enhancer-last-failure-at',
  reason: 'x-enhancer-reason',
  errorType: 'x-enhancer-error-type',
  errorMessage: 'x-enhancer-error-message',
  attempts: 'x-enhancer-attempts',
  /** The job is already in the dead-letter queue for this reason; only its history row is owed. */
  deadLettered: 'x-enhancer-dead-lettered',
  /** Set by quorum queues on redelivery. */
  deliveryCount: 'x-delivery-count',
} as const;

export type Headers = Record<string, unknown>;

export function intHeader(headers: Headers | undefined, name: string): number | undefined {
  const v = headers?.[name];
  const n =
    typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : typeof v === 'bigint' ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

export function stringHeader(headers: Headers | undefined, name: string): string | undefined {
  const v = headers?.[name];
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return undefined;
}

/** Headers that belong to one hop only and must not be copied onto a republished message. */
const TRANSIENT = new Set([
  'x-death',
  'x-first-death-exchange',
  'x-first-death-queue',
  'x-first-death-reason',
  'x-last-death-exchange',
  'x-last-death-queue',
  'x-last-death-reason',
  H.deliveryCount,
]);

export function carriedHeaders(headers: Headers | undefined): Headers {
  return Object.fromEntries(Object.entries(headers ?? {}).filter(([k]) => !TRANSIENT.has(k)));
}

/** Header values are short strings: an AMQP header table must fit 64 KiB. */
export function clip(s: string, max = 1024): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
