import type { DeadLetterInfo, DelayInfo, Delivery, FailureInfo, JobBus } from '../../worker/ports.js';
import type { ConfirmPublisher } from './confirm-publisher.js';
import { jobProperties } from './confirm-publisher.js';
import { H, carriedHeaders, clip } from './headers.js';
import { retryRoutingKey, type Names } from './topology.js';

/** The worker's broker port on RabbitMQ: every move is a confirmed publish of a fresh message. */
export class AmqpJobBus implements JobBus {
  constructor(
    private readonly publisher: ConfirmPublisher,
    private readonly n: Names,
  ) {}

  delay(d: Delivery, { attempt, delayMs, failure, deadLettered }: DelayInfo): Promise<void> {
    const headers = {
      ...carriedHeaders(d.headers),
      [H.attempt]: attempt,
      // Crash-loop accounting survives the hop, or a job that kills workers would start afresh.
      [H.redeliveries]: d.redeliveries,
      ...(failure ? failureHeaders(d, failure) : {}),
      ...(deadLettered ? { [H.deadLettered]: deadLettered } : {}),
    };
    return this.publisher.publish(
      this.n.retryEntry,
      retryRoutingKey(delayMs),
      d.body,
      jobProperties(d.messageId, headers),
    );
  }

  deadLetter(d: Delivery, info: DeadLetterInfo): Promise<void> {
    const headers = {
      ...carriedHeaders(d.headers),
      ...failureHeaders(d, info.failure),
      [H.reason]: info.reason,
      [H.attempts]: info.attempts,
    };
    return this.publisher.publish('', this.n.dead, d.body, jobProperties(d.messageId, headers));
  }

  quarantine(d: Delivery): Promise<void> {
    const headers = {
      ...carriedHeaders(d.headers),
      [H.attempt]: d.attempt,
      [H.redeliveries]: d.redeliveries,
    };
    return this.publisher.publish('', this.n.suspect, d.body, jobProperties(d.messageId, headers));
  }
}

function failureHeaders(d: Delivery, f: FailureInfo): Record<string, string> {
  return {
    [H.firstFailureAt]: d.firstFailureAt ?? f.at,
    [H.lastFailureAt]: f.at,
    [H.errorType]: clip(f.errorType, 128),
    [H.errorMessage]: clip(f.errorMessage),
  };
}
