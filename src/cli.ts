#!/usr/bin/env node
import { loadConfig } from './config/load';
import type { Config } from './config/schema';
import { migrate } from './adapters/db/orm';
import { createLogger } from './observability/logger';
import { runWorker } from './worker/run-worker';
import { enqueue, enqueueUsage } from './cli/enqueue';
import { dlq, dlqUsage } from './cli/dlq';
import { UsageError } from './cli/usage-error';

const usage = `usage:
enhancer migrate        create the database if missing and apply migrations
enhancer worker         consume and process enhancement jobs
${enqueueUsage}
${dlqUsage}
Configuration comes from the environment; see README.md.`;

const out = (line: string) => process.stdout.write(`${line}\n`);

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    out(usage);
    return command === undefined ? 2 : 0;
  }
  const config = loadConfig();
  switch (command) {
    case 'migrate': {
      const applied = await migrate(config.databaseUrl);
      out(applied.length ? `applied ${applied.join(', ')}` : 'database is up to date');
      return 0;
    }
    case 'worker':
      return worker(config);
    case 'enqueue':
      await enqueue(rest, config, out);
      return 0;
    case 'dlq':
      await dlq(rest, config, out);
      return 0;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}; run "enhancer help"`);
  }
}

async function worker(config: Config): Promise<number> {
  const log = createLogger(config.log);
  const running = await runWorker(config, log);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping: no new jobs; waiting for in-flight ones', {
      signal,
      grace_ms: config.shutdownGraceMs,
    });
    void running.stop();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  try {
    await running.done;
    log.info('worker stopped');
    return 0;
  } catch (err) {
    log.error('worker failed', { error_message: (err as Error).message });
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const e = err instanceof Error ? err : new Error(String(err));
    const code = (e as { code?: unknown }).code;
    const usage =
      e.name === 'ConfigError' ||
      e.name === 'UsageError' ||
      (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'));
    process.stderr.write(`enhancer: ${e.message.split('\n')[0]}\n`);
    process.exitCode = usage ? 2 : 1;
  },
);
