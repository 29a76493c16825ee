import type { Knex } from '@mikro-orm/postgresql';
import type { MikroORM } from '@mikro-orm/postgresql';
import { DEFAULTS } from '../../config/schema.js';
import { systemClock, type Clock } from '../../lib/clock.js';
import { errorKind } from '../../domain/errors.js';
import { errorMessage } from '../../lib/error-message.js';
import { Batcher } from '../../lib/batcher.js';
import { StallWatch } from '../../lib/stall-watch.js';
import { settlesWithin, withTimeout } from '../../lib/with-timeout.js';
import type {
  Claim,
  ClaimState,
  Completion,
  Failure,
  HistoryOp,
  HistoryStore,
  ForceFailRecord,
  RetryMark,
} from '../../domain/history.js';
import {
  claimStatement,
  completeStatement,
  failStatement,
  forceFailStatement,
  retryStatement,
  abandonStatement,
} from './sql/history-ops.js';
import { inline, type Statement } from './sql/statement.js';
import { classifyDbError, isDataError } from './pg-errors.js';
import { boundedQuery, type QueryBounds } from './bounded-query.js';
import { ANSWER_MARGIN_MS, openOrm, type OrmOptions } from './orm.js';
import { PgLinks } from './pg-links.js';
import { tenantScope } from './tenant-scope.js';

type Result = ClaimState | boolean;
interface PgResult {
  rows: Record<string, unknown>[];
}

/** Statements for one batch, each with the code that turns its rows into the items' results. */
interface Plan {
  readonly statements: Statement[];
  readonly readers: ((rows: Record<string, unknown>[]) => void)[];
}

/** Bounds of the store: every query, and how long closing may wait for queued writes. */
export interface HistoryStoreOptions {
  readonly maxBatch?: number;
  /**
   * Batches being written at once; default 1: while one is out, every write that arrives joins the
   * next, so a busy worker makes fewer, larger round trips (each wakes the server and the worker).
   */
  readonly maxInFlight?: number;
  /** The pool's connections (the same object given to `openOrm`), so stuck ones can be destroyed. */
  readonly links: PgLinks;
  /** How long one query's answer may take; default: the statement timeout plus a second. */
  readonly queryTimeoutMs?: number;
  readonly clock?: Clock;
}

/** How long a readiness probe waits for a ping. */
export const PING_WAIT_MS = 2_000;

/** How long `close` lets queued writes finish before it gives up on them. */
export const CLOSE_DRAIN_MS = 2_000;

/**
 * The history port on Postgres. Writes from all concurrent jobs are group-committed: one transaction
 * and one round trip per batch, grouped by tenant, each group behind its {@link tenantScope} (role
 * enhancer_tenant + app.tenant_id), so row-level security holds even for a superuser connection.
 * If a batch is refused for its data, each item is retried alone so one bad row fails only itself.
 *
 * Every query is bounded (see {@link boundedQuery}); `writes` tells how long writes have been stuck or
 * failing, which readiness, liveness and the wait-out delays read.
 */
export class PgHistoryStore implements HistoryStore {
  private readonly knex: Knex;
  private readonly batcher: Batcher<HistoryOp, Result>;
  private readonly bounds: QueryBounds;
  private closed = false;
  private pinging?: Promise<void>;
  /** Writes and pings, pending and failing: the path jobs use. */
  readonly writes: StallWatch;

  constructor(
    private readonly orm: MikroORM,
    private readonly opts: HistoryStoreOptions,
  ) {
    this.knex = orm.em.getKnex();
    const clock = opts.clock ?? systemClock;
    this.writes = new StallWatch(clock);
    this.bounds = {
      pool: this.knex.client as QueryBounds['pool'],
      links: opts.links,
      clock,
      timeoutMs: opts.queryTimeoutMs ?? DEFAULTS.db.statementTimeoutMs + ANSWER_MARGIN_MS,
    };
    this.batcher = new Batcher<HistoryOp, Result>({
      run: (ops) => this.write(ops),
      maxBatch: opts.maxBatch ?? 256,
      maxInFlight: opts.maxInFlight ?? 1,
      key: (op) => op.jobId,
    });
  }

  claim(c: Claim): Promise<ClaimState> {
    return this.submit({ kind: 'claim', ...c }) as Promise<ClaimState>;
  }
  complete(c: Completion): Promise<boolean> {
    return this.submit({ kind: 'complete', ...c }) as Promise<boolean>;
  }
  retry(r: RetryMark): Promise<boolean> {
    return this.submit({ kind: 'retry', ...r }) as Promise<boolean>;
  }
  fail(f: Failure): Promise<boolean> {
    return this.submit({ kind: 'fail', ...f }) as Promise<boolean>;
  }
  async forceFail(p: ForceFailRecord): Promise<void> {
    await this.submit({ kind: 'forceFail', ...p });
  }

  /**
   * One round trip on the pool, as the writes make them (so a good answer also ends a failing streak).
   * Calls while one is in flight share it: probes must not take every connection from the writes.
   */
  ping(): Promise<void> {
    this.pinging ??= this.writes
      .track(this.query('select 1'), isOutage)
      .then(() => undefined)
      .finally(() => (this.pinging = undefined));
    return this.pinging;
  }

  /**
   * Null while jobs' writes get through, else why not: writes pending or failing for longer than
   * `maxStallMs`, or a ping not answered within `pingWaitMs` (an idle worker notices an outage too).
   */
  async notReadyReason(maxStallMs: number, pingWaitMs = PING_WAIT_MS): Promise<string | null> {
    const stalled = Math.round(this.writes.stalledMs());
    if (stalled > maxStallMs) {
      const last = this.writes.lastFailure;
      return `history writes stalled for ${stalled} ms, over the bound of ${maxStallMs} ms${last ? `: ${last}` : ''}`;
    }
    try {
      await withTimeout(this.bounds.clock, pingWaitMs, 'postgres ping', () => this.ping());
      return null;
    } catch (err) {
      return errorMessage(err);
    }
  }

  /** The janitor's sweep, outside the batches: pending rows idle for `olderThanMs` become failed. */
  async abandonStale(olderThanMs: number, detail: string): Promise<number> {
    const s = abandonStatement(olderThanMs, detail);
    const out = (await this.query(this.inline(s))) as PgResult;
    return out.rows.length;
  }

  /**
   * Lets queued writes finish (at most CLOSE_DRAIN_MS: each is bounded, but a queue of them behind a
   * silent server is not), then closes the pool, and destroys whatever connection is still open.
   */
  async close(): Promise<void> {
    this.closed = true;
    const clock = this.bounds.clock;
    await settlesWithin(clock, CLOSE_DRAIN_MS, this.batcher.drained());
    await settlesWithin(clock, ANSWER_MARGIN_MS, this.orm.close(true));
    this.opts.links.destroyAll();
  }

  private submit(op: HistoryOp): Promise<Result> {
    if (this.closed) return Promise.reject(classifyDbError(new Error('history store closed')));
    return this.writes.track(this.batcher.submit(op), isOutage);
  }

  private async query(sql: string): Promise<unknown> {
    try {
      return await boundedQuery(this.bounds, sql);
    } catch (err) {
      throw classifyDbError(err);
    }
  }

  private async write(ops: readonly HistoryOp[]): Promise<(Result | Error)[]> {
    const results: (Result | Error)[] = new Array<Result | Error>(ops.length);
    const plan = planBatch(ops, results);
    // One simple-protocol query holding several statements is one implicit transaction in Postgres:
    // atomic, rolled back whole on error, and SET LOCAL holds until its end. One round trip a batch.
    const head: string[] = [];
    // A pending row need not survive a crash (the unacked message is redelivered and claims it
    // again), so a batch of claims alone skips the wait for the WAL flush. Completions never do.
    if (ops.every((op) => op.kind === 'claim')) head.push('set local synchronous_commit = off');
    const sql = [...head, ...plan.statements.map((s) => this.inline(s))].join(';\n');
    try {
      const out: unknown = await boundedQuery(this.bounds, sql);
      const list = (Array.isArray(out) ? out : [out]) as PgResult[];
      plan.readers.forEach((read, i) => read(list[i + head.length]?.rows ?? []));
      return results;
    } catch (err) {
      if (ops.length > 1 && isDataError(err)) {
        return Promise.all(ops.map(async (op) => (await this.write([op]))[0] ?? new Error('no result')));
      }
      const e = classifyDbError(err);
      return ops.map(() => e);
    }
  }

  private inline(s: Statement): string {
    return inline(this.knex, s);
  }
}

/** A failure that says Postgres is in trouble (not one that refuses the data). */
const isOutage = (err: unknown) => errorKind(err) === 'infrastructure';

/**
 * Opens the pool and the store over it, and proves the database answers (within the connect and
 * statement bounds): a worker that cannot reach Postgres at start fails then, visibly.
 */
export async function openHistoryStore(
  opts: OrmOptions & Pick<HistoryStoreOptions, 'maxBatch' | 'maxInFlight' | 'clock'>,
): Promise<PgHistoryStore> {
  const links = new PgLinks();
  const statementMs = opts.bounds?.statementTimeoutMs ?? DEFAULTS.db.statementTimeoutMs;
  // Not connected at init: MikroORM's own check would pay a connect timeout before ours does.
  const orm = await openOrm({ ...opts, links, connect: false });
  const store = new PgHistoryStore(orm, { ...opts, links, queryTimeoutMs: statementMs + ANSWER_MARGIN_MS });
  try {
    await store.ping();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/** Groups ops by tenant and kind into statements; readers fill `results` at the ops' positions. */
export function planBatch(ops: readonly HistoryOp[], results: (Result | Error)[]): Plan {
  const plan: Plan = { statements: [], readers: [] };
  const byTenant = new Map<string, number[]>();
  ops.forEach((op, i) => {
    const list = byTenant.get(op.tenantId) ?? [];
    list.push(i);
    byTenant.set(op.tenantId, list);
  });
  for (const [tenant, indexes] of byTenant) {
    plan.statements.push(tenantScope(tenant));
    plan.readers.push(() => undefined);
    const ofKind = (kind: HistoryOp['kind']) => indexes.filter((i) => ops[i]!.kind === kind);
    const pick = <K extends HistoryOp['kind']>(idx: number[]) =>
      idx.map((i) => ops[i] as Extract<HistoryOp, { kind: K }>);

    const claims = ofKind('claim');
    if (claims.length) {
      plan.statements.push(claimStatement(pick<'claim'>(claims)));
      plan.readers.push((rows) => {
        const state = new Map(rows.map((r) => [String(r.job_id), r.state as ClaimState]));
        for (const i of claims) {
          results[i] =
            state.get(ops[i]!.jobId) ?? new Error(`job ${ops[i]!.jobId} is not visible to tenant ${tenant}`);
        }
      });
    }
    const fenced = [
      ['complete', completeStatement],
      ['retry', retryStatement],
      ['fail', failStatement],
      ['forceFail', forceFailStatement],
    ] as const;
    for (const [kind, build] of fenced) {
      const idx = ofKind(kind);
      if (!idx.length) continue;
      plan.statements.push((build as (o: HistoryOp[]) => Statement)(idx.map((i) => ops[i]!)));
      plan.readers.push((rows) => {
        const hit = new Set(rows.map((r) => String(r.job_id)));
        for (const i of idx) results[i] = hit.has(ops[i]!.jobId);
      });
    }
  }
  return plan;
}
