import type { Knex } from '@mikro-orm/postgresql';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Batcher } from '../../lib/batcher';
import type {
  Claim,
  ClaimState,
  Completion,
  Failure,
  HistoryOp,
  HistoryStore,
  PoisonRecord,
  RetryMark,
} from '../../domain/history';
import {
  claimStatement,
  completeStatement,
  failStatement,
  poisonStatement,
  retryStatement,
  setTenant,
  abandonStatement,
  type Statement,
} from './sql/history-ops';
import { classifyDbError, isDataError } from './pg-errors';
import { TENANT_ROLE as ROLE } from './tenant-scope';

type Result = ClaimState | boolean;
interface PgResult {
  rows: Record<string, unknown>[];
}

/** Statements for one batch, each with the code that turns its rows into the items' results. */
interface Plan {
  readonly statements: Statement[];
  readonly readers: ((rows: Record<string, unknown>[]) => void)[];
}

/**
 * The history port on Postgres. Writes from all concurrent jobs are group-committed: one transaction
 * and one round trip per batch, grouped by tenant under row-level security
 * (SET LOCAL ROLE enhancer_tenant + app.tenant_id), so RLS holds even for a superuser connection.
 * If a batch is refused for its data, each item is retried alone so one bad row fails only itself.
 */
export class PgHistoryStore implements HistoryStore {
  private readonly knex: Knex;
  private readonly batcher: Batcher<HistoryOp, Result>;

  constructor(
    private readonly orm: MikroORM,
    opts: { maxBatch?: number; maxInFlight?: number } = {},
  ) {
    this.knex = orm.em.getKnex();
    this.batcher = new Batcher<HistoryOp, Result>({
      run: (ops) => this.write(ops),
      maxBatch: opts.maxBatch ?? 256,
      maxInFlight: opts.maxInFlight ?? 2,
      key: (op) => op.jobId,
    });
  }

  claim(c: Claim): Promise<ClaimState> {
    return this.batcher.submit({ kind: 'claim', ...c }) as Promise<ClaimState>;
  }
  complete(c: Completion): Promise<boolean> {
    return this.batcher.submit({ kind: 'complete', ...c }) as Promise<boolean>;
  }
  retry(r: RetryMark): Promise<boolean> {
    return this.batcher.submit({ kind: 'retry', ...r }) as Promise<boolean>;
  }
  fail(f: Failure): Promise<boolean> {
    return this.batcher.submit({ kind: 'fail', ...f }) as Promise<boolean>;
  }
  async forceFail(p: PoisonRecord): Promise<void> {
    await this.batcher.submit({ kind: 'poison', ...p });
  }

  async ping(): Promise<void> {
    try {
      await this.knex.raw('select 1');
    } catch (err) {
      throw classifyDbError(err);
    }
  }

  /** The janitor's sweep, outside the batches: pending rows idle for `olderThanMs` become failed. */
  async abandonStale(olderThanMs: number, detail: string): Promise<number> {
    const s = abandonStatement(olderThanMs, detail);
    try {
      const out = await this.knex.raw<PgResult>(s.sql, s.bindings as Knex.RawBinding[]);
      return out.rows.length;
    } catch (err) {
      throw classifyDbError(err);
    }
  }

  /** Lets queued writes finish, then closes the connection pool. */
  async close(): Promise<void> {
    await this.batcher.drained();
    await this.orm.close(true);
  }

  private async write(ops: readonly HistoryOp[]): Promise<(Result | Error)[]> {
    const results: (Result | Error)[] = new Array<Result | Error>(ops.length);
    const plan = planBatch(ops, results);
    // One simple-protocol query holding several statements is one implicit transaction in Postgres:
    // atomic, rolled back whole on error, and SET LOCAL holds until its end. One round trip a batch.
    const head = [`set local role ${ROLE}`];
    // A pending row need not survive a crash (the unacked message is redelivered and claims it
    // again), so a batch of claims alone skips the wait for the WAL flush. Completions never do.
    if (ops.every((op) => op.kind === 'claim')) head.push('set local synchronous_commit = off');
    const sql = [...head, ...plan.statements.map((s) => this.inline(s))].join(';\n');
    try {
      const out: unknown = await this.knex.raw(sql);
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
    return this.knex.raw(s.sql, s.bindings as Knex.RawBinding[]).toQuery();
  }
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
    plan.statements.push(setTenant(tenant));
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
      ['poison', poisonStatement],
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
