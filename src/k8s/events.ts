import type { Clock } from '../lib/clock.js';
import { errorMessage } from '../lib/error-message.js';
import { settlesWithin } from '../lib/with-timeout.js';
import type { Logger } from '../observability/logger.js';
import { TokenBucket } from '../lib/token-bucket.js';

/** What the worker knows when it dead-letters a message (an invalid one may lack ids). */
export interface DeadLetterNotice {
  readonly jobId?: string;
  readonly tenantId?: string;
  readonly reason: string;
}

/** A core/v1 Event about the worker's Pod; the adapter turns `at` into eventTime and timestamps. */
export interface PodEvent {
  readonly name: string;
  readonly namespace: string;
  readonly type: 'Warning';
  readonly reason: string;
  readonly action: string;
  readonly message: string;
  readonly involvedObject: {
    readonly kind: 'Pod';
    readonly name: string;
    readonly namespace: string;
    readonly uid?: string;
  };
  readonly reportingController: string;
  readonly reportingInstance: string;
  readonly at: number;
}

export interface EventSink {
  create(event: PodEvent): Promise<void>;
}

export const EVENT_REASON = 'JobDeadLettered';
export const REPORTING_CONTROLLER = 'enhancer';
/** The API server refuses longer messages. */
const MAX_MESSAGE = 1024;

export interface DeadLetterEventsOptions {
  readonly sink: EventSink;
  readonly clock: Clock;
  readonly log: Logger;
  readonly pod: { readonly name: string; readonly namespace: string; readonly uid?: string };
  readonly perMinute: number;
  readonly burst: number;
  readonly onSuppressed?: () => void;
  /** How long `stop` waits for the posts under way (default 5 s); the sink should bound each too. */
  readonly stopWaitMs?: number;
}

/**
 * A Warning Event on the worker's Pod per dead letter, through a token bucket so a storm cannot flood
 * the API server: what the bucket refuses is counted and told in the next Event. Posting is fire and
 * forget: a failure is logged and never touches the job.
 */
export class DeadLetterEvents {
  private readonly bucket: TokenBucket;
  private readonly posting = new Set<Promise<void>>();
  private suppressed = 0;
  private seq = 0;
  private stopped = false;

  constructor(private readonly o: DeadLetterEventsOptions) {
    this.bucket = new TokenBucket(o.perMinute, 60_000, o.burst, o.clock.now());
  }

  notify(notice: DeadLetterNotice): void {
    if (this.stopped) return;
    if (this.bucket.take(this.o.clock.now()) > 0) {
      this.suppressed++;
      this.o.onSuppressed?.();
      return;
    }
    const folded = this.suppressed;
    this.suppressed = 0;
    const post = this.o.sink
      .create(this.event(notice, folded))
      .catch((err: unknown) =>
        this.o.log.warn('could not post a Kubernetes Event', {
          reason: EVENT_REASON,
          error_message: errorMessage(err),
        }),
      )
      .finally(() => this.posting.delete(post));
    this.posting.add(post);
  }

  /** Posts nothing more and waits for the posts under way, at most `stopWaitMs`. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.posting.size === 0) return;
    const settled = await settlesWithin(
      this.o.clock,
      this.o.stopWaitMs ?? 5_000,
      Promise.all([...this.posting]),
    );
    if (!settled) this.o.log.warn('gave up waiting for Kubernetes Events', { posting: this.posting.size });
  }

  event(notice: DeadLetterNotice, folded: number): PodEvent {
    const at = this.o.clock.now();
    const { pod } = this.o;
    const what = `job ${notice.jobId ?? '(unreadable id)'} of tenant ${notice.tenantId ?? 'unknown'}`;
    const more = folded > 0 ? `; ${folded} more dead letters not reported (rate limit)` : '';
    return {
      // client-go's scheme: the object's name, then a unique hex suffix.
      name: `${pod.name}.${at.toString(16)}${(this.seq++ % 4096).toString(16).padStart(3, '0')}`,
      namespace: pod.namespace,
      type: 'Warning',
      reason: EVENT_REASON,
      action: 'DeadLetter',
      message: `${what} dead-lettered: ${notice.reason}${more}`.slice(0, MAX_MESSAGE),
      involvedObject: {
        kind: 'Pod',
        name: pod.name,
        namespace: pod.namespace,
        ...(pod.uid ? { uid: pod.uid } : {}),
      },
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: pod.name,
      at,
    };
  }
}
