import {
  ABANDONED_PREFIX,
  abandonStatement,
  claimStatement,
  completeStatement,
  failStatement,
  forceFailStatement,
  replayResetStatement,
  retryStatement,
  undoReplayResetStatement,
} from '../../../../../src/adapters/db/sql/history-ops.js';
import type { Statement } from '../../../../../src/adapters/db/sql/statement.js';
import { TENANT_ROLE, tenantScope } from '../../../../../src/adapters/db/tenant-scope.js';

const ID1 = '11111111-1111-4111-8111-111111111111';
const ID2 = '22222222-2222-4222-8222-222222222222';
const ID3 = '33333333-3333-4333-8333-333333333333';

const placeholders = (s: Statement) => (s.sql.match(/\?/g) ?? []).length;

const claim = (jobId: string, attempt = 1) =>
  ({ kind: 'claim', jobId, tenantId: 'acme', ticketId: `T-${jobId.slice(0, 1)}`, attempt }) as const;
const complete = (jobId: string) =>
  ({ kind: 'complete', jobId, tenantId: 'acme', attempt: 2, summary: 'done', processingMs: 15 }) as const;
const retry = (jobId: string) =>
  ({ kind: 'retry', jobId, tenantId: 'acme', attempt: 1, error: 'flaky' }) as const;
const fail = (jobId: string, processingMs: number | null = 40) =>
  ({ kind: 'fail', jobId, tenantId: 'acme', attempt: 4, error: 'gave up', processingMs }) as const;
const forceFail = (jobId: string) =>
  ({ kind: 'forceFail', jobId, tenantId: 'acme', ticketId: null, error: 'not JSON' }) as const;

describe('history statement builders', () => {
  it('tenantScope sets the tenant role and app.tenant_id for the transaction only', () => {
    const s = tenantScope('acme');
    expect(s).toEqual({
      sql: `select set_config('role', '${TENANT_ROLE}', true), set_config('app.tenant_id', ?, true)`,
      bindings: ['acme'],
    });
    expect(placeholders(s)).toBe(1);
  });

  it('tenantScope with a statement timeout sets it too, in whole milliseconds and at least 1', () => {
    const s = tenantScope('acme', { statementTimeoutMs: 0.2 });
    expect(s.sql).toContain(`set_config('statement_timeout', ?, true)`);
    expect(s.bindings).toEqual(['acme', '1']);
    expect(placeholders(s)).toBe(2);
  });

  it('the replay statements reset a row unless it completed, and undo only their own reset', () => {
    const reset = replayResetStatement(ID1);
    expect(reset.sql).toContain(`status <> 'completed'`);
    expect(reset.bindings).toEqual([ID1]);
    expect(placeholders(reset)).toBe(1);
    const undo = undoReplayResetStatement(ID1, 'republish failed');
    expect(undo.sql).toContain(`status = 'pending' and attempts = 0`);
    expect(undo.bindings).toEqual(['republish failed', ID1]);
    expect(placeholders(undo)).toBe(2);
  });

  it.each([1, 2, 3])('claimStatement binds 4 values per op plus the id array (%i ops)', (count) => {
    const ops = [ID1, ID2, ID3].slice(0, count).map((id, i) => claim(id, i + 1));
    const s = claimStatement(ops);
    expect(s.bindings).toHaveLength(4 * count + 1);
    expect(placeholders(s)).toBe(s.bindings.length);
  });

  it('claimStatement binds job, ticket, tenant and attempt in order, then the ids as a Postgres array', () => {
    const s = claimStatement([claim(ID1, 1), claim(ID2, 3)]);
    expect(s.bindings).toEqual([ID1, 'T-1', 'acme', 1, ID2, 'T-2', 'acme', 3, `{${ID1},${ID2}}`]);
  });

  it.each([
    ['completeStatement', () => completeStatement([complete(ID1), complete(ID2)]), 5],
    ['retryStatement', () => retryStatement([retry(ID1), retry(ID2)]), 4],
    ['failStatement', () => failStatement([fail(ID1), fail(ID2)]), 5],
    ['forceFailStatement', () => forceFailStatement([forceFail(ID1), forceFail(ID2)]), 4],
  ])('%s has one placeholder per binding, %i per op', (_name, build, perOp) => {
    const s = build();
    expect(s.bindings).toHaveLength(2 * perOp);
    expect(placeholders(s)).toBe(s.bindings.length);
  });

  it('fenced updates bind job id and attempt first, then their own values', () => {
    expect(completeStatement([complete(ID1)]).bindings).toEqual([ID1, 2, 'done', 15, null]);
    expect(completeStatement([{ ...complete(ID1), result: { note: 'n' } }]).bindings).toEqual([
      ID1,
      2,
      'done',
      15,
      '{"note":"n"}',
    ]);
    expect(retryStatement([retry(ID1)]).bindings).toEqual([ID1, 1, 'flaky', null]);
    expect(failStatement([fail(ID1, null)]).bindings).toEqual([ID1, 4, 'gave up', null, null]);
    expect(failStatement([{ ...fail(ID1, null), result: { note: 'kept' } }]).bindings).toEqual([
      ID1,
      4,
      'gave up',
      null,
      '{"note":"kept"}',
    ]);
    expect(forceFailStatement([forceFail(ID1)]).bindings).toEqual([ID1, null, 'acme', 'not JSON']);
  });

  it.each([
    ['completeStatement', completeStatement([complete(ID1)])],
    ['retryStatement', retryStatement([retry(ID1)])],
    ['failStatement', failStatement([fail(ID1)])],
  ])('%s only touches a row still pending at the writer’s attempt and returns its job_id', (_name, s) => {
    expect(s.sql).toContain(`h.job_id = v.job_id and h.attempts = v.attempt and h.status = 'pending'`);
    expect(s.sql).toContain('returning h.job_id::text');
  });

  it('forceFailStatement never overwrites a completed job', () => {
    expect(forceFailStatement([forceFail(ID1)]).sql).toContain(`where h.status <> 'completed'`);
  });

  it('claimStatement takes a pending row, or one the janitor failed as abandoned, back to pending', () => {
    const { sql } = claimStatement([claim(ID1)]);
    expect(sql).toContain(
      `where h.status = 'pending' or (h.status = 'failed' and h.error_message like '${ABANDONED_PREFIX}%')`,
    );
    expect(sql).toContain(`set status = 'pending'`);
  });

  it('claimStatement re-claims only what the janitor failed, not an error that merely starts alike', () => {
    const { sql } = claimStatement([claim(ID1)]);
    const pattern = /error_message like '([^']*)'/.exec(sql)?.[1] ?? '';
    // A literal prefix then `%`: no other LIKE wildcard (`%`, `_`), escape or quote inside.
    expect(pattern).toBe(`${ABANDONED_PREFIX}%`);
    expect(ABANDONED_PREFIX).not.toMatch(/[%_\\']/);
    const like = (text: string) => text.startsWith(pattern.slice(0, -1));
    const [janitorMessage] = abandonStatement(794_000, 'pending for over 794 s').bindings as [string];
    expect(like(janitorMessage)).toBe(true);
    expect(like('abandoned: the pipeline gave up on this ticket')).toBe(false);
    expect(like('abandoned:')).toBe(false);
  });

  it('abandonStatement fails pending rows idle past the threshold, with the janitor prefix', () => {
    const s = abandonStatement(794_000, 'pending for over 794 s');
    expect(s.bindings).toEqual(['abandoned by the janitor: pending for over 794 s', 794]);
    expect(placeholders(s)).toBe(2);
    // now(), stable within the statement, so the partial index on updated_at can bound the scan.
    expect(s.sql).toContain(`where status = 'pending' and updated_at < now() - make_interval(secs => ?)`);
    expect(s.sql).toContain('returning tenant_id');
  });
});
