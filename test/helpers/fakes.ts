import type {
  ClaimState,
  Claim,
  Completion,
  Failure,
  ForceFailRecord,
  HistoryStore,
  RetryMark,
} from '../../src/domain/history.js';
import type { Job } from '../../src/domain/job.js';
import type { Fields, Logger } from '../../src/observability/logger.js';
import type { EnhanceContext, EnhancementResult, Enhancer } from '../../src/pipeline/enhancer.js';
import type { DeadLetterInfo, DelayInfo, Delivery, FailureInfo, JobBus } from '../../src/worker/ports.js';

/** Every fake below appends to one shared list, so a test can assert the order across them. */
export type EventLog = string[];

export class FakeHistory implements HistoryStore {
  readonly claims: Claim[] = [];
  readonly completions: Completion[] = [];
  readonly retries: RetryMark[] = [];
  readonly failures: Failure[] = [];
  readonly forceFails: ForceFailRecord[] = [];
  /** What each method does once recorded; replace one to change the answer. */
  readonly on = {
    claim: (_c: Claim): Promise<ClaimState> => Promise.resolve('claimed'),
    complete: (_c: Completion): Promise<boolean> => Promise.resolve(true),
    retry: (_r: RetryMark): Promise<boolean> => Promise.resolve(true),
    fail: (_f: Failure): Promise<boolean> => Promise.resolve(true),
    forceFail: (_p: ForceFailRecord): Promise<void> => Promise.resolve(),
  };

  constructor(private readonly events: EventLog) {}

  claim(c: Claim): Promise<ClaimState> {
    this.events.push('history.claim');
    this.claims.push(c);
    return this.on.claim(c);
  }
  complete(c: Completion): Promise<boolean> {
    this.events.push('history.complete');
    this.completions.push(c);
    return this.on.complete(c);
  }
  retry(r: RetryMark): Promise<boolean> {
    this.events.push('history.retry');
    this.retries.push(r);
    return this.on.retry(r);
  }
  fail(f: Failure): Promise<boolean> {
    this.events.push('history.fail');
    this.failures.push(f);
    return this.on.fail(f);
  }
  forceFail(p: ForceFailRecord): Promise<void> {
    this.events.push('history.forceFail');
    this.forceFails.push(p);
    return this.on.forceFail(p);
  }
  ping(): Promise<void> {
    this.events.push('history.ping');
    return Promise.resolve();
  }
}

export interface DelayCall {
  readonly attempt: number;
  readonly delayMs: number;
  readonly failure?: FailureInfo;
}

export class FakeBus implements JobBus {
  readonly delays: DelayCall[] = [];
  readonly deadLetters: DeadLetterInfo[] = [];
  readonly quarantined: Delivery[] = [];
  /** The `deadLettered` marker of each delay call (undefined for an ordinary retry or wait-out). */
  readonly delayMarks: (string | undefined)[] = [];
  readonly on = {
    delay: (): Promise<void> => Promise.resolve(),
    deadLetter: (): Promise<void> => Promise.resolve(),
    quarantine: (): Promise<void> => Promise.resolve(),
  };

  constructor(private readonly events: EventLog) {}

  delay(_d: Delivery, { attempt, delayMs, failure, deadLettered }: DelayInfo): Promise<void> {
    this.events.push('bus.delay');
    this.delayMarks.push(deadLettered);
    this.delays.push(failure ? { attempt, delayMs, failure } : { attempt, delayMs });
    return this.on.delay();
  }
  deadLetter(_d: Delivery, info: DeadLetterInfo): Promise<void> {
    this.events.push('bus.deadLetter');
    this.deadLetters.push(info);
    return this.on.deadLetter();
  }
  quarantine(d: Delivery): Promise<void> {
    this.events.push('bus.quarantine');
    this.quarantined.push(d);
    return this.on.quarantine();
  }
}

export class FakeEnhancer implements Enhancer {
  readonly name = 'fake';
  readonly calls: { job: Job; attempt: number; signal: AbortSignal }[] = [];
  /** What enhance does once recorded. */
  run: (job: Job, ctx: EnhanceContext) => Promise<EnhancementResult> = (job) =>
    Promise.resolve({ summary: `enhanced ${job.ticket_id}` });

  constructor(private readonly events: EventLog) {}

  enhance(job: Job, ctx: EnhanceContext): Promise<EnhancementResult> {
    this.events.push('enhancer.enhance');
    this.calls.push({ job, attempt: ctx.attempt, signal: ctx.signal });
    return this.run(job, ctx);
  }
}

export interface FakeDelivery extends Delivery {
  readonly acks: number;
  readonly nacks: number;
}

/** A delivery whose ack and nack are recorded in the event log. */
export function fakeDelivery(events: EventLog, fields: Partial<Delivery> & { body: Buffer }): FakeDelivery {
  let acks = 0;
  let nacks = 0;
  return {
    attempt: 1,
    redelivered: false,
    redeliveries: 0,
    headers: {},
    ...fields,
    get acks() {
      return acks;
    },
    get nacks() {
      return nacks;
    },
    ack: () => {
      acks++;
      events.push('ack');
    },
    nack: () => {
      nacks++;
      events.push('nack');
    },
  };
}

export interface LogLine {
  readonly level: 'error' | 'warn' | 'info' | 'debug';
  readonly msg: string;
  readonly fields: Fields;
}

/** A Logger that keeps every line (child fields merged in) in one shared list. */
export class RecordingLogger implements Logger {
  constructor(
    readonly lines: LogLine[] = [],
    private readonly bound: Fields = {},
  ) {}
  error(msg: string, fields?: Fields): void {
    this.write('error', msg, fields);
  }
  warn(msg: string, fields?: Fields): void {
    this.write('warn', msg, fields);
  }
  info(msg: string, fields?: Fields): void {
    this.write('info', msg, fields);
  }
  debug(msg: string, fields?: Fields): void {
    this.write('debug', msg, fields);
  }
  child(fields: Fields): Logger {
    return new RecordingLogger(this.lines, { ...this.bound, ...fields });
  }
  private write(level: LogLine['level'], msg: string, fields: Fields = {}): void {
    this.lines.push({ level, msg, fields: { ...this.bound, ...fields } });
  }
}

/** Anything prom-client can read values from: Counter, Gauge. */
interface Readable {
  get(): Promise<{ values: readonly { value: number; labels: object }[] }>;
}

/** The value of one series of a counter or gauge (0 when the series was never touched). */
export async function metricValue(metric: Readable, labels: Record<string, string> = {}): Promise<number> {
  const { values } = await metric.get();
  const match = values.find((v) =>
    Object.entries(labels).every(([k, want]) => (v.labels as Record<string, unknown>)[k] === want),
  );
  return match?.value ?? 0;
}
