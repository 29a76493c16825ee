/**
 * `npm run demo`: what the worker is for, end to end, on the local RabbitMQ and Postgres. In its own
 * queue prefix and database (it never touches real data) it imports a small generated helpdesk
 * history for two tenants with `enhancer import`, starts a worker, enqueues tickets that hit each kind
 * of context plus one poison message, and prints the note each ticket got, the history and the
 * dead-letter queue. `-- --with-fakes` adds a local stand-in model and ServiceDesk Plus, so notes are
 * written by "the model" and land on "the helpdesk". Exit 0 when every ticket ended as planned, else 1
 * with a one-line reason (2 for a bad configuration value).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { childEnv, loadConfig } from '../src/config/load.js';
import type { Config } from '../src/config/schema.js';
import { openProducer } from '../src/adapters/amqp/producer.js';
import { names } from '../src/adapters/amqp/topology.js';
import { WorkerChild, describeExit, runCli } from './demo/children.js';
import { startDemoFakes, type DemoFakes } from './demo/fakes.js';
import { enqueuedTable, historyTable, notes, surprises } from './demo/report.js';
import { writeSample } from './demo/sample.js';
import {
  openDeadLetterCounter,
  openHistoryReader,
  purgeTopology,
  withDatabase,
  type HistoryRow,
} from './demo/services.js';
import { POISON_BODY, sampleTickets, type Sample } from './demo/tickets.js';
import { WorkerLines } from './demo/worker-lines.js';

const PREFIX = 'enhancer-demo';
const DATABASE = 'enhancer_demo';
const OUTCOME_TIMEOUT_MS = 60_000;
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 15_000;

const say = (line = '') => process.stdout.write(`${line}\n`);
const indent = (lines: readonly string[]) => lines.forEach((l) => say(`  ${l}`));
let stepNo = 0;
const step = (text: string) => say(`\n[${++stepNo}] ${text}`);

async function main(signal: AbortSignal): Promise<void> {
  const began = Date.now();
  const withFakes = process.argv.includes('--with-fakes');
  const config = loadConfig();
  const databaseUrl = withDatabase(config.databaseUrl, DATABASE);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'enhancer-demo-'));
  const samples = sampleTickets({ unknownRequest: withFakes });
  let fakes: DemoFakes | undefined;
  let worker: WorkerChild | undefined;
  try {
    if (withFakes) {
      fakes = await startDemoFakes(
        tmp,
        samples.filter((s) => !s.deadLettered).map((s) => s.job.ticket_id),
      );
    }
    const env = childEnv({
      AMQP_URL: config.amqpUrl,
      DATABASE_URL: databaseUrl,
      QUEUE_PREFIX: PREFIX,
      QUEUE_DELIVERY_LIMIT: String(config.deliveryLimit),
      ENHANCER_PIPELINE: 'context',
      RETRY_BASE_MS: '250',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      HTTP_PORT: '0',
      ...fakes?.env,
    });
    say(`enhancer demo: queue prefix ${PREFIX}, database ${DATABASE} (${redact(databaseUrl)})`);
    say(
      withFakes
        ? 'with local stand-ins for the model and ServiceDesk Plus (--with-fakes)'
        : 'notes are extractive (no model configured); add -- --with-fakes for the whole loop',
    );

    step(`a clean slate: the demo's queues deleted, ${DATABASE} migrated`);
    await purgeTopology(config.amqpUrl, PREFIX, config.deliveryLimit);
    indent(await runCli(['migrate'], env));

    step('the helpdesk history each tenant brings: enhancer import tickets|kb|assets');
    for (const tenant of await writeSample(tmp)) {
      for (const f of tenant.files) {
        const out = await runCli(['import', f.kind, '--tenant', tenant.tenant, '--file', f.file], env);
        say(`  ${tenant.tenant.padEnd(7)} ${out.at(-1) ?? ''}`);
      }
    }

    step(`a worker: enhancer worker (context pipeline${withFakes ? ', model and helpdesk stand-ins' : ''})`);
    const lines = new WorkerLines(say, process.stdout.isTTY);
    worker = new WorkerChild(env, '', lines.take);
    await worker.started(START_TIMEOUT_MS);
    say('  started; its warnings and errors show below, dimmed');

    step(`${samples.length} new tickets (enhancer enqueue --file) and 1 poison message`);
    indent(enqueuedTable(samples));
    const file = path.join(tmp, 'tickets.ndjson');
    await writeFile(file, samples.map((s) => JSON.stringify(s.job)).join('\n') + '\n');
    const ids = await runCli(['enqueue', '--file', file], env);
    const missing = samples.filter((s) => !ids.includes(s.job.job_id));
    if (missing.length)
      throw new Error(`enqueue did not confirm ${missing.map((s) => s.job.ticket_id).join(', ')}`);
    await publishPoison(config);

    const expectedDead = samples.filter((s) => s.deadLettered).length + 1;
    const rows = await waitForOutcomes(samples, databaseUrl, config.amqpUrl, expectedDead, worker, signal);
    say(`  all done ${((Date.now() - began) / 1000).toFixed(1)} s after the demo began`);

    step('the notes, as the technician reads them');
    indent(notes(samples, rows));
    step('enhancement_history for these tickets');
    indent(historyTable(samples, rows));
    if (fakes) {
      step('what the helpdesk stand-in received');
      indent(helpdeskReport(samples, fakes));
    }
    step(`the dead-letter queue ${names(PREFIX).dead} (enhancer dlq list; it removes nothing)`);
    indent(await runCli(['dlq', 'list'], env));

    step('stopping the worker with SIGTERM');
    const exit = await worker.stop(STOP_TIMEOUT_MS);
    say(
      `  it exited with ${describeExit(exit)}${exit.killed ? ' after SIGKILL' : ''} (${lines.hidden} info lines not shown)`,
    );
    if (exit.killed || exit.code !== 0)
      throw new Error(`the worker did not stop cleanly (${describeExit(exit)})`);
    const unexpected = [...surprises(samples, rows), ...(fakes ? helpdeskSurprises(samples, fakes) : [])];
    if (unexpected.length) throw new Error(unexpected.join('; '));
    say(
      `\ndemo OK in ${((Date.now() - began) / 1000).toFixed(1)} s. The queues and database stay for you to look at:`,
    );
    say(`  QUEUE_PREFIX=${PREFIX} node dist/cli.js dlq list`);
    say(`  psql ${redact(databaseUrl)} -c "select ticket_id, result->>'note' from enhancement_history"`);
  } finally {
    if (worker?.running) await worker.stop(STOP_TIMEOUT_MS);
    await fakes?.close();
    await rm(tmp, { recursive: true, force: true });
  }
}

function helpdeskReport(samples: readonly Sample[], fakes: DemoFakes): string[] {
  return samples.map((s) => {
    const got = fakes.helpdesk.notes.filter((n) => n.requestId === s.job.ticket_id);
    const first = got[0]?.description.replace(/\s+/g, ' ').slice(0, 90);
    return `${s.job.ticket_id}: ${got.length} note${got.length === 1 ? '' : 's'}${first ? `  ${first}…` : ''}`;
  });
}

/** Every ticket meant to land on the helpdesk did, exactly once; the others not at all. */
function helpdeskSurprises(samples: readonly Sample[], fakes: DemoFakes): string[] {
  return samples.flatMap((s) => {
    const got = fakes.helpdesk.notes.filter((n) => n.requestId === s.job.ticket_id).length;
    const want = s.deadLettered ? 0 : 1;
    return got === want ? [] : [`${s.job.ticket_id} has ${got} notes on the helpdesk, expected ${want}`];
  });
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
