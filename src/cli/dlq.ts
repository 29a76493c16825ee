import type { Config } from '../config/schema.js';
import { ConfirmPublisher } from '../adapters/amqp/confirm-publisher.js';
import { connectAmqp } from '../adapters/amqp/connect.js';
import {
  listDeadLetters,
  queueExists,
  replayDeadLetters,
  type DeadLetter,
  type ReplayResult,
} from '../adapters/amqp/dead-letters.js';
import { names } from '../adapters/amqp/topology.js';
import { openOrm } from '../adapters/db/orm.js';
import { resetForReplay, undoReplayReset } from '../adapters/db/replay-reset.js';
import { UsageError } from './usage-error.js';

export interface DlqFlags {
  readonly limit: string;
  readonly json: boolean;
  readonly includeInvalid: boolean;
}

/** `enhancer dlq list|replay`. A dead-letter queue not declared yet (no worker ran) holds no letters. */
export async function dlq(
  sub: 'list' | 'replay',
  values: DlqFlags,
  config: Config,
  out: (line: string) => void,
): Promise<void> {
  const limit = Number(values.limit);
  if (!/^\d+$/.test(values.limit) || limit < 1)
    throw new UsageError(`--limit must be a whole number of at least 1, got ${JSON.stringify(values.limit)}`);
  const n = names(config.queuePrefix);
  const conn = await connectAmqp(config.amqpUrl, 'enhancer-dlq', config.amqp);
  conn.on('error', () => undefined);
  try {
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    if (!(await queueExists(ch, n.dead))) {
      out(`no dead letters: ${n.dead} does not exist yet (a worker declares it when it starts)`);
      return;
    }
    if (sub === 'list') {
      const letters = await listDeadLetters(ch, n, limit);
      if (values.json) letters.forEach((l) => out(JSON.stringify(l)));
      else printTable(letters, out);
      return;
    }
    const orm = await openOrm({ databaseUrl: config.databaseUrl, poolMax: 1, bounds: config.db });
    try {
      const publisher = new ConfirmPublisher(await conn.createConfirmChannel());
      const result = await replayDeadLetters(ch, publisher, n, {
        limit,
        includeInvalid: values.includeInvalid,
        resetHistory: (l) => resetForReplay(orm, l.job_id!, l.tenant_id!),
        undoReset: (l) => undoReplayReset(orm, l.job_id!, l.tenant_id!, l.error_message ?? l.reason),
      }).catch((err: unknown) => {
        // Those moved before the failure are listed; the error line says how many (exit code 1).
        const done = (err as { done?: ReplayResult } | null)?.done;
        if (done) printReplay(done, out);
        throw err;
      });
      printReplay(result, out);
      out(`${result.replayed.length} replayed, ${result.skipped.length} left in ${n.dead}`);
    } finally {
      await orm.close(true);
    }
  } finally {
    await conn.close().catch(() => undefined);
  }
}

function printReplay(result: ReplayResult, out: (line: string) => void): void {
  result.replayed.forEach((l) => out(`replayed ${l.job_id ?? '(no job_id)'}`));
  result.skipped.forEach(({ letter, why }) => out(`skipped ${letter.job_id ?? '(no job_id)'}: ${why}`));
}

function printTable(letters: DeadLetter[], out: (line: string) => void): void {
  if (letters.length === 0) {
    out('the dead-letter queue is empty');
    return;
  }
  const rows = letters.map((l) => [
    l.job_id ?? '-',
    l.tenant_id ?? '-',
    l.reason,
    String(l.attempts ?? '-'),
    l.last_failure_at ?? '-',
    (l.error_message ?? '-').slice(0, 80),
  ]);
  const head = ['JOB_ID', 'TENANT', 'REASON', 'ATTEMPTS', 'LAST_FAILURE', 'ERROR'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [head, ...rows])
    out(
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
}
