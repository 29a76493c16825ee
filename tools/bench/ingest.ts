import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { deleteTopology, describeTopology, names } from '../../src/adapters/amqp/topology.js';
import { childEnv } from '../../src/config/load.js';
import { sign } from '../../src/ingest/signature.js';
import type { BenchOptions } from './args.js';
import { Cleanup, onBroker } from './cleanup.js';
import { ConsumerProcess, type Exit } from './consumer-process.js';
import { WORKER_NODE_FLAGS, freePort } from './consumers.js';
import { pollUntil } from './wait.js';
import { PRODUCT_CLI } from '../product.js';

/** What `enhancer ingest` is held to (the target, publisher confirms on). */
export const INGEST_TARGET_RPS = 2_000;

export interface IngestResult {
  readonly connections: number;
  readonly seconds: number;
  /** 202 answers (each a job the broker confirmed) per second. */
  readonly acceptedPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly accepted: number;
  /** Any answer but 202, plus connection errors and timeouts: all should be 0. */
  readonly refused: number;
  readonly errors: number;
  /** Messages in the jobs queue afterwards: `accepted`, plus up to one per connection still in flight at the end. */
  readonly queued: number;
  /** Signed bodies were reused (the pool ran out), so some posts were answered by dedup. */
  readonly poolWrapped: boolean;
  readonly exit: Exit & { killed: boolean };
}

const TENANT = 'bench';
const SECRET = 'bench-webhook-secret-0123456789';
const POOL_SIZE = 150_000;

/**
 * `node dist/cli.js ingest` in a child process on its own queue prefix, driven by autocannon with
 * `connections` keep-alive connections for `seconds`. Every request is a distinct signed ticket from
 * a pool signed beforehand (dedup would otherwise answer repeats without publishing, and signing in
 * the loop would spend the bench's CPU, which this 2-core machine shares with the server and RabbitMQ).
 * The rate limit is lifted for the run. No worker consumes: the jobs queue depth is checked against
 * the 202s at the end.
 */
export async function measureIngest(
  o: BenchOptions,
  id: string,
  cleanup: Cleanup,
  log: (line: string) => void,
  signal: AbortSignal,
): Promise<IngestResult> {
  const prefix = `enhancer-bench-${id}-ingest`;
  const dir = await mkdtemp(path.join(tmpdir(), 'enhancer-bench-ingest-'));
  cleanup.add(`removed ${dir}`, () => rm(dir, { recursive: true, force: true }));
  const tenantsFile = path.join(dir, 'tenants.json');
  await writeFile(tenantsFile, JSON.stringify({ tenants: { [TENANT]: { secret: SECRET } } }));
  cleanup.add(`deleted queues and exchanges ${prefix}*`, () =>
    onBroker(o.amqpUrl, (ch) => deleteTopology(ch, describeTopology(prefix, 5))),
  );
  const port = await freePort();
  const proc = new ConsumerProcess('ingest', PRODUCT_CLI, ['ingest'], {
    env: childEnv({
      AMQP_URL: o.amqpUrl,
      QUEUE_PREFIX: prefix,
      QUEUE_DELIVERY_LIMIT: '5',
      TENANTS_FILE: tenantsFile,
      INGEST_PORT: String(port),
      INGEST_RATE_PER_TENANT: '1000000',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
    }),
    nodeArgs: WORKER_NODE_FLAGS,
  });
  try {
    const base = `http://127.0.0.1:${port}`;
    await pollUntil(
      async () => {
        proc.assertRunning();
        const ok = await fetch(`${base}/readyz`).then(
          (r) => r.ok,
          () => false,
        );
        return ok ? true : undefined;
      },
      {
        everyMs: 50,
        timeoutMs: 15_000,
        signal,
        describe: () => Promise.resolve(`ingest not ready${proc.describeExit()}`),
      },
    );
    const pool = signedPool(POOL_SIZE);
    log(
      `ingest: ${o.ingestConnections} connections for ${o.ingestSeconds} s (pool of ${pool.length} signed tickets)`,
    );
    let next = 0;
    const result = await autocannon({
      url: base,
      connections: o.ingestConnections,
      duration: o.ingestSeconds,
      requests: [
        {
          method: 'POST',
          path: '/webhook/servicedesk',
          setupRequest: (req) => {
            const r = pool[next++ % pool.length]!;
            return { ...req, body: r.body, headers: r.headers };
          },
        },
      ],
    });
    const queued = await queueDepth(o.amqpUrl, names(prefix).jobs);
    const accepted = result.statusCodeStats?.['202']?.count ?? 0;
    log(`ingest: ${accepted} accepted, ${queued} in the jobs queue; stopping with SIGTERM`);
    return {
      connections: o.ingestConnections,
      seconds: result.duration,
      acceptedPerSecond: accepted / result.duration,
      latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
      accepted,
      refused: result.non2xx + (result['2xx'] - accepted),
      errors: result.errors,
      queued,
      poolWrapped: next > pool.length,
      exit: await proc.stop(30_000),
    };
  } finally {
    await proc.kill();
  }
}

function signedPool(size: number): { body: string; headers: Record<string, string> }[] {
  const run = randomUUID().slice(0, 8);
  return Array.from({ length: size }, (_, i) => {
    const body = JSON.stringify({
      request: {
        id: `${run}-${i}`,
        subject: 'Printer on floor 3 is on fire',
        description: 'It started after the firmware update; the paper tray is smoking.',
        priority: { name: i % 10 === 0 ? 'Urgent' : 'High' },
      },
    });
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'x-tenant-id': TENANT,
        'x-signature': sign(SECRET, Buffer.from(body)),
      },
    };
  });
}

async function queueDepth(amqpUrl: string, queue: string): Promise<number> {
  let depth = -1;
  await onBroker(amqpUrl, async (ch) => {
    depth = (await ch.checkQueue(queue)).messageCount;
  });
  return depth;
}
