import type { Channel, ChannelModel } from 'amqplib';

/**
 * The broker objects enhancer uses, as data (`describeTopology`) and one idempotent function that
 * declares them (`assertTopology`), run at every start and every reconnect. No plugin is needed.
 *
 * Delayed retries use a binary ladder of TTL queues (as NServiceBus and Celery 5.5 do): level k holds
 * a message 2^k ms. A retry's routing key spells its delay in binary, most significant bit first;
 * at level k a 1-bit routes it into that level's queue, a 0-bit straight on to level k-1. Each queue
 * has one fixed TTL, so no short delay ever waits behind a long one at a queue's head.
 */
export const RETRY_LEVELS = 24;
export const MAX_RETRY_DELAY_MS = 2 ** RETRY_LEVELS - 1;
export const JOB_ROUTING_KEY = 'job';

export interface Names {
  /** Direct exchange producers publish to, key `job`. */
  readonly exchange: string;
  /** Quorum queue of fresh jobs. */
  readonly jobs: string;
  /** Quorum queue of redelivered jobs waiting to run alone. */
  readonly suspect: string;
  /** Dead-letter queue. */
  readonly dead: string;
  /** Entry of the retry ladder (its top level). */
  readonly retryEntry: string;
  /** Fanout exchange at the foot of the ladder, bound to the jobs queue. */
  readonly retryDeliver: string;
}

export function names(prefix: string): Names {
  return {
    exchange: prefix,
    jobs: `${prefix}.jobs`,
    suspect: `${prefix}.suspect`,
    dead: `${prefix}.dead`,
    retryEntry: retryExchange(prefix, RETRY_LEVELS - 1),
    retryDeliver: `${prefix}.retry.deliver`,
  };
}

const retryExchange = (prefix: string, level: number) => `${prefix}.retry.l${level}`;
const retryQueue = (prefix: string, level: number) => `${prefix}.retry.${2 ** level}ms`;

/** The routing key that carries a message through the ladder for `delayMs`. */
export function retryRoutingKey(delayMs: number): string {
  const ms = Number.isFinite(delayMs) ? Math.max(0, Math.min(MAX_RETRY_DELAY_MS, Math.round(delayMs))) : 0;
  const bits = ms.toString(2).padStart(RETRY_LEVELS, '0').split('');
  return `${bits.join('.')}.${JOB_ROUTING_KEY}`;
}

export interface ExchangeSpec {
  readonly name: string;
  readonly type: 'direct' | 'topic' | 'fanout';
}
export interface QueueSpec {
  readonly name: string;
  readonly arguments: Readonly<Record<string, string | number>>;
}
export interface BindingSpec {
  readonly kind: 'queue' | 'exchange';
  readonly destination: string;
  readonly source: string;
  readonly pattern: string;
}
export interface Topology {
  readonly exchanges: readonly ExchangeSpec[];
  readonly queues: readonly QueueSpec[];
  readonly bindings: readonly BindingSpec[];
}

export function describeTopology(prefix: string, deliveryLimit: number): Topology {
  const n = names(prefix);
  // Quorum queues: replicated, and they count deliveries, so a job that crashes every worker it
  // touches ends in the dead-letter queue instead of crash-looping the fleet. RabbitMQ 3.x has no
  // default limit (4.x defaults to 20): set it explicitly.
  const quorum = {
    'x-queue-type': 'quorum',
    'x-delivery-limit': deliveryLimit,
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': n.dead,
  };
  const exchanges: ExchangeSpec[] = [
    { name: n.exchange, type: 'direct' },
    { name: n.retryDeliver, type: 'fanout' },
  ];
  // Classic: listing the dead letters requeues them, which a quorum queue would count as deliveries.
  const queues: QueueSpec[] = [
    { name: n.jobs, arguments: quorum },
    { name: n.suspect, arguments: quorum },
    { name: n.dead, arguments: { 'x-queue-type': 'classic' } },
  ];
  const bindings: BindingSpec[] = [
    { kind: 'queue', destination: n.jobs, source: n.exchange, pattern: JOB_ROUTING_KEY },
    { kind: 'queue', destination: n.jobs, source: n.retryDeliver, pattern: '' },
  ];
  for (let level = RETRY_LEVELS - 1; level >= 0; level--) {
    const exchange = retryExchange(prefix, level);
    const next = level === 0 ? n.retryDeliver : retryExchange(prefix, level - 1);
    const skip = '*.'.repeat(RETRY_LEVELS - 1 - level);
    exchanges.push({ name: exchange, type: 'topic' });
    queues.push({
      name: retryQueue(prefix, level),
      arguments: { 'x-queue-type': 'classic', 'x-message-ttl': 2 ** level, 'x-dead-letter-exchange': next },
    });
    bindings.push(
      { kind: 'queue', destination: retryQueue(prefix, level), source: exchange, pattern: `${skip}1.#` },
      { kind: 'exchange', destination: next, source: exchange, pattern: `${skip}0.#` },
    );
  }
  return { exchanges, queues, bindings };
}

/**
 * Declares everything; safe to repeat. Fails if a queue exists with other arguments. A channel runs
 * one declaration at a time, so the ~100 of them are spread over a few channels (they take most of a
 * worker's broker start-up otherwise): exchanges and queues first, then the bindings between them.
 */
export async function assertTopology(conn: ChannelModel, topology: Topology, lanes = 8): Promise<void> {
  const channels = await Promise.all(Array.from({ length: lanes }, () => conn.createChannel()));
  // A refused declaration closes its channel with an error event; the failed call reports it.
  channels.forEach((ch) => ch.on('error', () => undefined));
  try {
    const spread = async (steps: ((ch: Channel) => Promise<unknown>)[]) =>
      Promise.all(
        channels.map(async (ch, lane) => {
          for (let i = lane; i < steps.length; i += lanes) await steps[i]!(ch);
        }),
      );
    await spread([
      ...topology.exchanges.map((e) => (ch: Channel) => ch.assertExchange(e.name, e.type, { durable: true })),
      ...topology.queues.map(
        (q) => (ch: Channel) => ch.assertQueue(q.name, { durable: true, arguments: q.arguments }),
      ),
    ]);
    await spread(
      topology.bindings.map(
        (b) => (ch: Channel) =>
          b.kind === 'queue'
            ? ch.bindQueue(b.destination, b.source, b.pattern)
            : ch.bindExchange(b.destination, b.source, b.pattern),
      ),
    );
  } finally {
    await Promise.all(channels.map((ch) => ch.close().catch(() => undefined)));
  }
}

/** Deletes everything `describeTopology` declares (tests and the demo clean up with it). */
export async function deleteTopology(ch: Channel, topology: Topology): Promise<void> {
  for (const q of topology.queues) await ch.deleteQueue(q.name);
  for (const e of topology.exchanges) await ch.deleteExchange(e.name);
}
