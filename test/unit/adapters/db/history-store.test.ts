import { planBatch } from '../../../../src/adapters/db/history-store.js';
import {
  claimStatement,
  completeStatement,
  failStatement,
  forceFailStatement,
  retryStatement,
} from '../../../../src/adapters/db/sql/history-ops.js';
import { tenantScope } from '../../../../src/adapters/db/tenant-scope.js';
import { decodeJob } from '../../../../src/domain/decode.js';
import type { ClaimState, HistoryOp } from '../../../../src/domain/history.js';
import { jobBody } from '../../../helpers/jobs.js';

type Result = ClaimState | boolean | Error;

const A1 = 'aaaaaaaa-0000-4000-8000-000000000001';
const A2 = 'aaaaaaaa-0000-4000-8000-000000000002';
const A3 = 'aaaaaaaa-0000-4000-8000-000000000003';
const B1 = 'bbbbbbbb-0000-4000-8000-000000000001';
const B2 = 'bbbbbbbb-0000-4000-8000-000000000002';

const claim = (jobId: string, tenantId: string): HistoryOp => ({
  kind: 'claim',
  jobId,
  tenantId,
  ticketId: 'T',
  attempt: 1,
});
const complete = (jobId: string, tenantId: string): HistoryOp => ({
  kind: 'complete',
  jobId,
  tenantId,
  attempt: 1,
  summary: 's',
  processingMs: 5,
});
const retry = (jobId: string, tenantId: string): HistoryOp => ({
  kind: 'retry',
  jobId,
  tenantId,
  attempt: 1,
  error: 'e',
});
const fail = (jobId: string, tenantId: string): HistoryOp => ({
  kind: 'fail',
  jobId,
  tenantId,
  attempt: 4,
  error: 'e',
  processingMs: null,
});
const forceFail = (jobId: string, tenantId: string): HistoryOp => ({
  kind: 'forceFail',
  jobId,
  tenantId,
  ticketId: null,
  error: 'e',
});

const pending = (ops: readonly HistoryOp[]): Result[] => ops.map(() => new Error('no result'));
const rows = (...ids: string[]) => ids.map((job_id) => ({ job_id }));

describe('planBatch', () => {
  it('groups statements by tenant in order of first appearance, each behind its tenant scope', () => {
    const ops = [claim(A1, 'a'), complete(B1, 'b'), retry(A2, 'a'), claim(B2, 'b'), fail(A3, 'a')];
    const plan = planBatch(ops, pending(ops));
    expect(plan.statements).toEqual([
      tenantScope('a'),
      claimStatement([claim(A1, 'a') as Extract<HistoryOp, { kind: 'claim' }>]),
      retryStatement([retry(A2, 'a') as Extract<HistoryOp, { kind: 'retry' }>]),
      failStatement([fail(A3, 'a') as Extract<HistoryOp, { kind: 'fail' }>]),
      tenantScope('b'),
      claimStatement([claim(B2, 'b') as Extract<HistoryOp, { kind: 'claim' }>]),
      completeStatement([complete(B1, 'b') as Extract<HistoryOp, { kind: 'complete' }>]),
    ]);
    expect(plan.readers).toHaveLength(plan.statements.length);
  });

  it('puts all ops of one kind and tenant in one statement, in submission order', () => {
    const ops = [forceFail(A2, 'a'), forceFail(A1, 'a'), complete(A3, 'a')];
    const plan = planBatch(ops, pending(ops));
    expect(plan.statements).toEqual([
      tenantScope('a'),
      completeStatement([complete(A3, 'a') as Extract<HistoryOp, { kind: 'complete' }>]),
      forceFailStatement([forceFail(A2, 'a'), forceFail(A1, 'a')] as Extract<
        HistoryOp,
        { kind: 'forceFail' }
      >[]),
    ]);
  });

  it('fills claim results from the state column of the rows', () => {
    const ops = [claim(A1, 'a'), claim(A2, 'a'), claim(A3, 'a')];
    const results = pending(ops);
    const plan = planBatch(ops, results);
    plan.readers[0]!([]);
    plan.readers[1]!([
      { job_id: A3, state: 'failed' },
      { job_id: A1, state: 'claimed' },
      { job_id: A2, state: 'completed' },
    ]);
    expect(results).toEqual(['claimed', 'completed', 'failed']);
  });

  it('gives a claim missing from the rows an Error naming the job and tenant', () => {
    const ops = [claim(A1, 'a'), claim(A2, 'a')];
    const results = pending(ops);
    planBatch(ops, results).readers[1]!([{ job_id: A1, state: 'claimed' }]);
    expect(results[0]).toBe('claimed');
    expect(results[1]).toBeInstanceOf(Error);
    expect((results[1] as Error).name).toBe('Error');
    expect((results[1] as Error).message).toBe(`job ${A2} is not visible to tenant a`);
  });

  it('fills fenced writes with true for returned job ids and false for the others', () => {
    const ops = [complete(A1, 'a'), complete(A2, 'a'), retry(A3, 'a'), fail(B1, 'b'), forceFail(B2, 'b')];
    const results = pending(ops);
    const plan = planBatch(ops, results);
    // statements: set a, complete, retry, set b, fail, forceFail
    plan.readers[1]!(rows(A2));
    plan.readers[2]!(rows());
    plan.readers[4]!(rows(B1));
    plan.readers[5]!(rows(B2));
    expect(results).toEqual([false, true, false, true, true]);
  });

  it('leaves results untouched until the readers run, and the set_config readers change nothing', () => {
    const ops = [complete(A1, 'a')];
    const results = pending(ops);
    const plan = planBatch(ops, results);
    plan.readers[0]!(rows(A1));
    expect(results).toEqual([new Error('no result')]);
    plan.readers[1]!(rows(A1));
    expect(results).toEqual([true]);
  });

  it('recognises a job decoded with an upper-case job_id in the lower-case uuid text Postgres returns', () => {
    // Postgres renders uuid::text in lower case, whatever case the job_id was written in.
    const job = decodeJob(jobBody({ job_id: A1.toUpperCase() }));
    const ops: HistoryOp[] = [
      { kind: 'claim', jobId: job.job_id, tenantId: job.tenant_id, ticketId: job.ticket_id, attempt: 1 },
    ];
    const results = pending(ops);
    planBatch(ops, results).readers[1]!([{ job_id: A1, state: 'claimed' }]);
    expect(results).toEqual(['claimed']);
  });
});
