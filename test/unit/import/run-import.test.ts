import { Readable } from 'node:stream';
import { runImport } from '../../../src/import/run-import.js';
import type { Row } from '../../../src/import/kinds.js';
import type {
  ImportOptions,
  ImportProgress,
  ImportSession,
  ImportTarget,
  WriteCounts,
} from '../../../src/import/types.js';
import { deferred, flushMicrotasks, type Deferred } from '../../helpers/deferred.js';
import { FakeClock } from '../../helpers/fake-clock.js';

/** Records what the core asks of the database, and answers as told. */
class FakeTarget implements ImportTarget {
  readonly log: string[] = [];
  readonly rows: { line: number; row: Row }[] = [];
  counts: WriteCounts = { inserted: 0, updated: 0, unchanged: 0, duplicates: 0 };
  commitError?: Error;
  /** When set, the next write answers "wait" with this promise. */
  gate?: Deferred<void>;

  begin(kind: string, tenantId: string): Promise<ImportSession> {
    this.log.push(`begin ${kind} ${tenantId}`);
    return Promise.resolve({
      write: (line, row) => {
        this.rows.push({ line, row });
        const gate = this.gate;
        this.gate = undefined;
        return gate?.promise;
      },
      commit: () => {
        this.log.push('commit');
        return this.commitError ? Promise.reject(this.commitError) : Promise.resolve(this.counts);
      },
      rollback: () => {
        this.log.push('rollback');
        return Promise.resolve();
      },
    });
  }
}

const line = (id: string, extra: object = {}) =>
  JSON.stringify({ ticket_id: id, subject: `subject ${id}`, description: 'd', ...extra });

function options(text: string | string[], more: Partial<ImportOptions> = {}): ImportOptions {
  const chunks = (Array.isArray(text) ? text : [text]).map((t) => Buffer.from(t));
  return {
    kind: 'tickets',
    tenantId: 'acme',
    format: 'ndjson',
    source: Readable.from(chunks),
    label: 'tickets.ndjson',
    ...more,
  };
}

describe('runImport', () => {
  let target: FakeTarget;
  beforeEach(() => {
    target = new FakeTarget();
  });

  it('stages every valid row with its line, then commits once and reports the counts', async () => {
    target.counts = { inserted: 1, updated: 1, unchanged: 0, duplicates: 0 };
    const s = await runImport(target, options(`${line('T-1')}\n\n${line('T-2')}\n`));
    expect(target.log).toEqual(['begin tickets acme', 'commit']);
    expect(target.rows.map((r) => [r.line, r.row.ticket_id])).toEqual([
      [1, 'T-1'],
      [3, 'T-2'],
    ]);
    expect(s).toMatchObject({
      ok: true,
      written: true,
      rows: 2,
      valid: 2,
      inserted: 1,
      updated: 1,
      skipped: 0,
      invalidCount: 0,
    });
  });

  it('rolls back at the first invalid line, writes nothing after it, and still reports every bad line', async () => {
    const text = [line('T-1'), line('T-2', { status: 42 }), line('T-3'), '{oops', line('T-5')].join('\n');
    const s = await runImport(target, options(text));
    expect(target.log).toEqual(['begin tickets acme', 'rollback']);
    expect(target.rows.map((r) => r.line)).toEqual([1]);
    expect(s).toMatchObject({ ok: false, written: false, rows: 5, valid: 3, skipped: 0, invalidCount: 2 });
    expect(s.invalid).toEqual([
      { line: 2, field: 'status', reason: 'expected a string, got a number' },
      { line: 4, field: 'json', reason: expect.stringMatching(/^not valid JSON/) },
    ]);
  });

  it('with skipInvalid imports the valid rows and counts the others as skipped', async () => {
    const text = [line('T-1'), line('T-2', { status: 42 }), line('T-3')].join('\n');
    const s = await runImport(target, options(text, { skipInvalid: true }));
    expect(target.log).toEqual(['begin tickets acme', 'commit']);
    expect(target.rows.map((r) => r.line)).toEqual([1, 3]);
    expect(s).toMatchObject({ ok: true, written: true, rows: 3, valid: 2, skipped: 1, invalidCount: 1 });
  });

  it('a dry run validates without any target', async () => {
    const s = await runImport(
      undefined,
      options([line('T-1'), line('T-2', { status: 42 })].join('\n'), { dryRun: true }),
    );
    expect(s).toMatchObject({ dryRun: true, ok: false, written: false, rows: 2, valid: 1, invalidCount: 1 });
    const clean = await runImport(undefined, options(line('T-1'), { dryRun: true }));
    expect(clean).toMatchObject({ dryRun: true, ok: true, written: false, valid: 1 });
  });

  it('stops at an unreadable CSV and imports nothing, even with skipInvalid', async () => {
    const csv = 'ticket_id,subjct,description\nT-1,a,b\n';
    const s = await runImport(target, options(csv, { format: 'csv', label: 't.csv', skipInvalid: true }));
    expect(target.log).toEqual(['begin tickets acme', 'rollback']);
    expect(s).toMatchObject({ ok: false, written: false, rows: 0, skipped: 0 });
    expect(s.fatal).toEqual({
      line: 1,
      field: 'header',
      reason: expect.stringMatching(/^unknown column "subjct"/),
    });
  });

  it('waits for the target before reading on (backpressure)', async () => {
    const gate = deferred();
    target.gate = gate;
    const done = runImport(target, options([line('T-1'), line('T-2')].join('\n')));
    await flushMicrotasks();
    expect(target.rows).toHaveLength(1);
    gate.resolve();
    await done;
    expect(target.rows).toHaveLength(2);
  });

  it('rolls back and rejects when the source fails', async () => {
    const source = new Readable({ read() {} });
    source.push(`${line('T-1')}\n`);
    const done = runImport(target, { ...options(''), source });
    await flushMicrotasks();
    source.destroy(new Error('EIO: disk went away'));
    await expect(done).rejects.toThrow('EIO: disk went away');
    expect(target.log).toEqual(['begin tickets acme', 'rollback']);
  });

  it('rejects when the commit fails (the session rolls itself back)', async () => {
    target.commitError = new Error('connection terminated');
    await expect(runImport(target, options(line('T-1')))).rejects.toThrow('connection terminated');
    expect(target.log).toEqual(['begin tickets acme', 'commit']);
  });

  it('reports progress every 1000 records and at the end, and times the import with the clock', async () => {
    const clock = new FakeClock(5_000);
    const seen: ImportProgress[] = [];
    const text = Array.from({ length: 2500 }, (_, i) => line(`T-${i}`)).join('\n');
    const s = await runImport(target, {
      ...options(text),
      clock,
      onProgress: (p) => {
        seen.push(p);
        clock.advance(100);
      },
    });
    expect(seen.map((p) => p.rows)).toEqual([1000, 2000, 2500]);
    expect(seen.at(-1)!.bytes).toBe(Buffer.byteLength(text));
    expect(s.ms).toBe(300);
  });

  it('keeps only the first issues but counts them all', async () => {
    const text = Array.from({ length: 50 }, () => '[]').join('\n');
    const s = await runImport(target, options(text, { keepIssues: 5 }));
    expect(s.invalid).toHaveLength(5);
    expect(s.invalidCount).toBe(50);
  });

  it('refuses a tenant id the contract does not allow, before touching the target', async () => {
    await expect(runImport(target, options(line('T-1'), { tenantId: '' }))).rejects.toThrow(
      /must not be empty/,
    );
    expect(target.log).toEqual([]);
  });
});
