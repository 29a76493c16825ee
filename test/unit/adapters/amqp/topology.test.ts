import {
  JOB_ROUTING_KEY,
  MAX_RETRY_DELAY_MS,
  RETRY_LEVELS,
  describeTopology,
  names,
  retryRoutingKey,
  type Topology,
} from '../../../../src/adapters/amqp/topology.js';

/** The bit words of a routing key, most significant first. */
const bitsOf = (key: string) => key.split('.').slice(0, RETRY_LEVELS).join('');

describe('retryRoutingKey', () => {
  it.each([
    [0, 0],
    [1, 1],
    [2_000, 2_000],
    [600_000, 600_000],
    [2 ** 24 - 1, 2 ** 24 - 1],
    [-5, 0],
    [-Infinity, 0],
    [2 ** 24, 2 ** 24 - 1],
    [1e12, 2 ** 24 - 1],
    [2.4, 2],
    [2.6, 3],
  ])('%d ms spells %d in 24 bits, then "job"', (delay, spelled) => {
    const key = retryRoutingKey(delay);
    const words = key.split('.');
    expect(words).toHaveLength(RETRY_LEVELS + 1);
    expect(words[RETRY_LEVELS]).toBe(JOB_ROUTING_KEY);
    expect(words.slice(0, RETRY_LEVELS).every((w) => w === '0' || w === '1')).toBe(true);
    expect(parseInt(bitsOf(key), 2)).toBe(spelled);
  });

  it('writes the exact keys for 0, 1 and 2000 ms', () => {
    expect(retryRoutingKey(0)).toBe(`${'0.'.repeat(24)}job`);
    expect(retryRoutingKey(1)).toBe(`${'0.'.repeat(23)}1.job`);
    expect(retryRoutingKey(2_000)).toBe(`${'0.'.repeat(13)}1.1.1.1.1.0.1.0.0.0.0.job`);
    expect(MAX_RETRY_DELAY_MS).toBe(16_777_215);
    expect(retryRoutingKey(MAX_RETRY_DELAY_MS)).toBe(`${'1.'.repeat(24)}job`);
  });
});

/** RabbitMQ topic matching: words split on '.', '*' is exactly one word, '#' zero or more. */
function topicMatches(pattern: string, key: string): boolean {
  const p = pattern === '' ? [] : pattern.split('.');
  const k = key === '' ? [] : key.split('.');
  const match = (i: number, j: number): boolean => {
    if (i === p.length) return j === k.length;
    if (p[i] === '#') return match(i + 1, j) || (j < k.length && match(i, j + 1));
    if (j === k.length) return false;
    return (p[i] === '*' || p[i] === k[j]) && match(i + 1, j + 1);
  };
  return match(0, 0);
}

interface Route {
  /** Every queue the message sat in, in order. */
  readonly queues: string[];
  /** Sum of the x-message-ttl of the queues it expired from. */
  readonly waitedMs: number;
}

/**
 * Follows one message through the declared topology. A queue with x-dead-letter-exchange and
 * x-message-ttl holds it for the TTL and republishes it to that exchange with the same key; a queue
 * without is where it stays. Fails if an exchange routes to zero or to several destinations.
 */
function route(topology: Topology, exchange: string, key: string): Route {
  const types = new Map(topology.exchanges.map((e) => [e.name, e.type]));
  const queues = new Map(topology.queues.map((q) => [q.name, q.arguments]));
  const visited: string[] = [];
  let waitedMs = 0;
  let at = exchange;
  for (let hops = 0; hops < 200; hops++) {
    const type = types.get(at);
    if (!type) throw new Error(`exchange ${at} is not declared`);
    const out = topology.bindings.filter(
      (b) =>
        b.source === at &&
        (type === 'fanout' || (type === 'direct' ? b.pattern === key : topicMatches(b.pattern, key))),
    );
    if (out.length !== 1) {
      throw new Error(
        `${at} routes ${key} to ${out.length} destinations: ${out.map((b) => b.destination).join()}`,
      );
    }
    const next = out[0]!;
    if (next.kind === 'exchange') {
      at = next.destination;
      continue;
    }
    const args = queues.get(next.destination);
    if (!args) throw new Error(`queue ${next.destination} is not declared`);
    visited.push(next.destination);
    const dlx = args['x-dead-letter-exchange'];
    const ttl = args['x-message-ttl'];
    if (typeof dlx !== 'string' || typeof ttl !== 'number') return { queues: visited, waitedMs };
    waitedMs += ttl;
    at = dlx;
  }
  throw new Error(`${key} loops`);
}

describe('describeTopology', () => {
  const topology = describeTopology('p', 5);
  const n = names('p');

  it('names its objects after the prefix', () => {
    expect(n).toEqual({
      exchange: 'p',
      jobs: 'p.jobs',
      suspect: 'p.suspect',
      dead: 'p.dead',
      retryEntry: 'p.retry.l23',
      retryDeliver: 'p.retry.deliver',
    });
  });

  it('matches topics the way RabbitMQ does (checking the simulator itself)', () => {
    expect(topicMatches('1.#', '1.job')).toBe(true);
    expect(topicMatches('1.#', '1')).toBe(true);
    expect(topicMatches('*.1.#', '0.1.0.job')).toBe(true);
    expect(topicMatches('*.1.#', '1.0.1.job')).toBe(false);
    expect(topicMatches('*.*', 'a')).toBe(false);
    expect(topicMatches('job', 'job')).toBe(true);
    expect(topicMatches('#', '')).toBe(true);
  });

  it('routes a fresh job from the main exchange straight into the jobs queue', () => {
    expect(route(topology, n.exchange, JOB_ROUTING_KEY)).toEqual({ queues: ['p.jobs'], waitedMs: 0 });
  });

  it.each([0, 1, 2, 3, 1_000, 2_000, 4_096, 123_457, 600_000, 2 ** 24 - 1])(
    'delays a retry of %i ms by exactly that long, then delivers it to p.jobs',
    (delay) => {
      const r = route(topology, n.retryEntry, retryRoutingKey(delay));
      expect(r.waitedMs).toBe(delay);
      expect(r.queues[r.queues.length - 1]).toBe('p.jobs');
      const ladder = r.queues.slice(0, -1);
      expect(ladder).toHaveLength(bitsOf(retryRoutingKey(delay)).replace(/0/g, '').length);
      expect(ladder.every((q) => /^p\.retry\.\d+ms$/.test(q))).toBe(true);
    },
  );

  it('visits the ladder from the longest wait to the shortest', () => {
    const r = route(topology, n.retryEntry, retryRoutingKey(4_096 + 8 + 1));
    expect(r.queues).toEqual(['p.retry.4096ms', 'p.retry.8ms', 'p.retry.1ms', 'p.jobs']);
  });

  it('gives every retry queue one fixed power-of-two TTL matching its name', () => {
    const retry = topology.queues.filter((q) => q.name.startsWith('p.retry.'));
    expect(retry).toHaveLength(RETRY_LEVELS);
    const ttls = retry.map((q) => q.arguments['x-message-ttl'] as number);
    expect([...ttls].sort((a, b) => a - b)).toEqual(Array.from({ length: RETRY_LEVELS }, (_, k) => 2 ** k));
    for (const q of retry) {
      const ttl = q.arguments['x-message-ttl'] as number;
      expect(Number.isInteger(Math.log2(ttl))).toBe(true);
      expect(q.name).toBe(`p.retry.${ttl}ms`);
      expect(q.arguments['x-queue-type']).toBe('classic');
    }
  });

  it.each(['p.jobs', 'p.suspect'])(
    '%s is a quorum queue with delivery limit 5 dead-lettering to p.dead',
    (name) => {
      expect(topology.queues.find((q) => q.name === name)?.arguments).toEqual({
        'x-queue-type': 'quorum',
        'x-delivery-limit': 5,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': 'p.dead',
      });
    },
  );

  it('takes the delivery limit from its argument', () => {
    const t = describeTopology('p', 9);
    expect(t.queues.find((q) => q.name === 'p.jobs')?.arguments['x-delivery-limit']).toBe(9);
  });

  it('keeps the dead-letter queue classic and without TTL', () => {
    expect(topology.queues.find((q) => q.name === 'p.dead')?.arguments).toEqual({
      'x-queue-type': 'classic',
    });
  });

  it('declares every exchange and queue it binds, each once', () => {
    const exchanges = topology.exchanges.map((e) => e.name);
    const queues = topology.queues.map((q) => q.name);
    expect(new Set(exchanges).size).toBe(exchanges.length);
    expect(new Set(queues).size).toBe(queues.length);
    expect(exchanges).toHaveLength(2 + RETRY_LEVELS);
    expect(queues).toHaveLength(3 + RETRY_LEVELS);
    for (const b of topology.bindings) {
      expect(exchanges).toContain(b.source);
      expect(b.kind === 'queue' ? queues : exchanges).toContain(b.destination);
    }
  });
});
