/**
 * `npm run demo`: the whole job, end to end, on the local RabbitMQ and Postgres. It works in its own
 * queue prefix and database (so it never touches real data): deletes its queues, migrates, starts a
 * worker, enqueues a dozen sample tickets and one poison message, waits for every outcome, prints the
 * history and the dead-letter queue, then stops the worker with SIGTERM. Exit 0 when all went as
 * planned, else 1 with a one-line reason (2 for a bad configuration value).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { childEnv, loadConfig } from '../config/load';
import type { Config } from '../config/schema';
import { openProducer } from '../adapters/amqp/producer';
import { names } from '../adapters/amqp/topology';
import { WorkerChild, describeExit, runCli } from './demo/children';
import { enqueuedTable, historyTable, surprises } from './demo/report';
import {
  openDeadLetterCounter,
  openHistoryReader,
  purgeTopology,
  withDatabase,
  type HistoryRow,
} from './demo/services';
import { DEMO_RETRY_MAX, POISON_BODY, sampleTickets, type Sample } from './demo/tickets';

const PREFIX = 'enhancer-demo';
const DATABASE = 'enhancer_demo';
const OUTCOME_TIMEOUT_MS = 60_000;
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 15_000;
const STEPS = 8;

const say = (line = '') => process.stdout.write(`${line}\n`);
const step = (n: number, text: string) => say(`\n[${n}/${STEPS}] ${text}`);
const indent = (lines: readonly string[]) => lines.forEach((l) => say(`  ${l}`));

async function main(signal: AbortSignal): Promise<void> {
  const began = Date.now();
  const config = loadConfig();
  const databaseUrl = withDatabase(config.databaseUrl, DATABASE);
  const dead = names(PREFIX).dead;
  const env = childEnv({
    AMQP_URL: config.amqpUrl,
    DATABASE_URL: databaseUrl,
    QUEUE_PREFIX: PREFIX,
    QUEUE_DELIVERY_LIMIT: String(config.deliveryLimit),
    ENHANCER_PIPELINE: 'simulate',
    RETRY_BASE_MS: '250',
    RETRY_JITTER: '0.2',
    RETRY_MAX: String(DEMO_RETRY_MAX),
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'pretty',
    HTTP_PORT: '0',
  });
  say(`enhancer demo: queue prefix ${PREFIX}, database ${DATABASE} (${redact(databaseUrl)})`);

  step(1, `deleting the demo's queues and exchanges (${PREFIX}, ${PREFIX}.*)`);
  const objects = await purgeTopology(config.amqpUrl, PREFIX, config.deliveryLimit);
  say(`  ${objects} queues and exchanges deleted or already absent`);

  step(2, `migrating ${DATABASE} (node dist/cli.js migrate)`);
  await runCli(['migrate'], env, { prefix: 'migrate | ', write: say });

  step(3, 'starting a worker (node dist/cli.js worker; simulate pipeline, retries from 250 ms)');
  const worker = new WorkerChild(env, 'worker | ', say);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'enhancer-demo-'));
  try {
    await worker.started(START_TIMEOUT_MS);

    const samples = sampleTickets();
    step(4, `enqueueing ${samples.length} tickets (node dist/cli.js enqueue --file) and 1 poison message`);
    indent(enqueuedTable(samples));
    const file = path.join(tmp, 'tickets.ndjson');
    await writeFile(file, samples.map((s) => JSON.stringify(s.job)).join('\n') + '\n');
    const ids = await runCli(['enqueue', '--file', file], env);
    const missing = samples.filter((s) => !ids.includes(s.job.job_id));
    if (missing.length)
      throw new Error(`enqueue did not confirm ${missing.map((s) => s.job.ticket_id).join(', ')}`);
    say(`  ${ids.length} jobs published and confirmed by the broker`);
    await publishPoison(config);
    say(`  poison: ${POISON_BODY.length} bytes of raw e-mail (not JSON) published with publishRaw`);

    const expectedDead = samples.filter((s) => s.deadLettered).length + 1;
    step(5, `waiting for ${samples.length} history rows to finish and ${expectedDead} dead letters`);
    const rows = await waitForOutcomes(samples, databaseUrl, config.amqpUrl, expectedDead, worker, signal);
    say(`  all done ${((Date.now() - began) / 1000).toFixed(1)} s after the demo began`);

    step(6, `enhancement_history for this run's ${samples.length} jobs`);
    indent(historyTable(samples, rows));
    const unexpected = surprises(samples, rows);

    step(7, `the dead-letter queue ${dead} (node dist/cli.js dlq list; it removes nothing)`);
    indent(await runCli(['dlq', 'list'], env));

    step(8, 'stopping the worker with SIGTERM');
    const exit = await worker.stop(STOP_TIMEOUT_MS);
    say(`  the worker exited with ${describeExit(exit)}${exit.killed ? ' after SIGKILL' : ''}`);
    if (exit.killed || exit.code !== 0)
      throw new Error(`the worker did not stop cleanly (${describeExit(exit)})`);
    if (unexpected.length) throw new Error(unexpected.join('; '));

    say(
      `\ndemo OK in ${((Date.now() - began) / 1000).toFixed(1)} s. Its queues and database stay for you to look at:`,
    );
    say(`  QUEUE_PREFIX=${PREFIX} node dist/cli.js dlq list`);
    say(`  psql ${redact(databaseUrl)} -c 'table enhancement_history'`);
  } finally {
    if (worker.running) await worker.stop(STOP_TIMEOUT_MS);
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The job that can never run: not JSON at all, straight onto the jobs exchange. */
async function publishPoison(config: Config): Promise<void> {
  const producer = await openProducer({
    amqpUrl: config.amqpUrl,
    queuePrefix: PREFIX,
    deliveryLimit: config.deliveryLimit,
  });
  try {
    await producer.publishRaw(POISON_BODY);
  } finally {
    await producer.close();
  }
}

/** Polls until every job's row is completed or failed and the dead letters are all in, or 60 s pass. */
async function waitForOutcomes(
  samples: readonly Sample[],
  databaseUrl: string,
  amqpUrl: string,
  expectedDead: number,
  worker: WorkerChild,
  signal: AbortSignal,
): Promise<HistoryRow[]> {
  const ids = samples.map((s) => s.job.job_id);
  const history = await openHistoryReader(databaseUrl);
  const letters = await openDeadLetterCounter(amqpUrl, PREFIX);
  try {
    const deadline = Date.now() + OUTCOME_TIMEOUT_MS;
    for (;;) {
      worker.assertRunning();
      const rows = await history.rows(ids);
      const finished = rows.filter((r) => r.status !== 'pending').length;
      const deadLetters = await letters.count();
      if (finished === ids.length && deadLetters >= expectedDead) return rows;
      if (Date.now() >= deadline)
        throw new Error(
          `timed out after ${OUTCOME_TIMEOUT_MS / 1000} s: ${finished} of ${ids.length} jobs finished, ` +
            `${deadLetters} of ${expectedDead} dead letters in ${names(PREFIX).dead}`,
        );
      await sleep(200, signal);
    }
  } finally {
    await Promise.all([history.close(), letters.close()]);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A connection string fit to print: no password. */
function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

const abort = new AbortController();
process.once('SIGINT', () => abort.abort(new Error('interrupted (Ctrl-C)')));
main(abort.signal).then(
  () => {
    process.exitCode = 0;
  },
  (err: unknown) => {
    const e = err instanceof Error ? err : new Error(String(err));
    process.stderr.write(`\ndemo FAILED: ${e.message.split('\n')[0]}\n`);
    process.exitCode = e.name === 'ConfigError' ? 2 : 1;
  },
);
