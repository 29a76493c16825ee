/**
 * The import's Postgres side. One connection, borrowed from the ORM's pool, holds one transaction:
 * lock, its tenantScope (role enhancer_tenant + app.tenant_id), a temporary staging table, COPY of every
 * valid row as it is read, then dedupe, dropping rows equal to the stored ones, one upsert, the
 * lexeme refresh and commit. Nothing is visible to anyone before the commit; a rollback (or a crash:
 * the server rolls back) leaves no trace.
 *
 * Why the pool and not a client of its own: callers (the CLI, the demo, the benchmark) already hold an
 * ORM, so the import reuses its connection settings and counts against DATABASE_POOL_MAX. The
 * connection goes back to the pool only after a clean commit or rollback; otherwise it is closed,
 * and the pool discards it.
 */
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { Knex } from '@mikro-orm/postgresql';
import type { Client } from 'pg';
import { from as copyFrom, type CopyStreamQuery } from 'pg-copy-streams';
import type { ImportKind, Row } from '../../../import/kinds.js';
import type { ImportSession, ImportTarget, WriteCounts } from '../../../import/types.js';
import {
  TRY_IMPORT_LOCK_SQL,
  copyStageSql,
  createStageSql,
  dedupeStageSql,
  dropUnchangedSql,
  importTable,
  keepCreatedAtSql,
  stageColumns,
  upsertSql,
} from '../sql/import-stage.js';
import { refreshLexemesStatements } from '../sql/search-lexemes.js';
import { inline } from '../sql/statement.js';
import { tenantScope } from '../tenant-scope.js';
import { copyLine } from './copy-text.js';
import { ImportBusyError } from './import-busy-error.js';

/** COPY data is sent in chunks of about this many characters: fewer, larger writes. */
const FLUSH_CHARS = 256 * 1024;

export interface PgImportOptions {
  /** How long a statement may wait for a lock held by someone else. Default '30s'. */
  readonly lockTimeout?: string;
  /** Told how long each step took: for the benchmark. */
  readonly onPhase?: (phase: ImportPhase, ms: number) => void;
}

export type ImportPhase =
  'copy' | 'dedupe' | 'keep-created-at' | 'drop-unchanged' | 'upsert' | 'lexemes' | 'commit' | 'maintain';

/** The part of knex's client this module uses: its pool of pg connections. */
interface PooledConnections {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void>;
}

const pool = (knex: Knex) => knex.client as PooledConnections;

/** An ImportTarget on the ORM's connection pool. */
export class PgImportTarget implements ImportTarget {
  constructor(
    private readonly knex: Knex,
    private readonly opts: PgImportOptions = {},
  ) {}

  async begin(kind: ImportKind, tenantId: string): Promise<ImportSession> {
    const client = (await pool(this.knex).acquireConnection()) as Client;
    const release = (healthy: boolean) => releaseTo(this.knex, client, healthy);
    try {
      await client.query('begin');
      const lock = await client.query<{ locked: boolean }>(TRY_IMPORT_LOCK_SQL, [
        `enhancer import ${kind} ${tenantId}`,
      ]);
      if (!lock.rows[0]?.locked) throw new ImportBusyError(kind, tenantId);
      await client.query(`set local lock_timeout = ${quote(this.opts.lockTimeout ?? '30s')}`);
      // The staging table has no statistics, so its joins look enormous to the planner: JIT then
      // spent ~0.4 s compiling for a 100 000-row dedupe that runs in less, and 4 MB of work_mem
      // sent its sorts and hashes to disk. One backend, one statement at a time: 64 MB is safe.
      await client.query(`set local jit = off`);
      await client.query(`set local work_mem = '64MB'`);
      await client.query(inline(this.knex, tenantScope(tenantId)));
      await client.query(createStageSql(kind));
      const copy = client.query(copyFrom(copyStageSql(kind)));
      return new PgImportSession(this.knex, client, copy, kind, tenantId, release, this.opts.onPhase);
    } catch (err) {
      await rollbackAndRelease(client, release);
      throw err;
    }
  }
}

class PgImportSession implements ImportSession {
  private chunks: string[] = [];
  private chars = 0;
  private failure: Error | undefined;
  private closed = false;
  private readonly columns: readonly string[];
  private readonly opened = performance.now();

  constructor(
    private readonly knex: Knex,
    private readonly client: Client,
    private readonly copy: CopyStreamQuery,
    private readonly kind: ImportKind,
    private readonly tenantId: string,
    private readonly release: (healthy: boolean) => Promise<void>,
    private readonly onPhase?: (phase: ImportPhase, ms: number) => void,
  ) {
    this.columns = stageColumns(kind);
    // Kept for the next write or the commit to throw; a stream error must never go unhandled.
    copy.on('error', (err: Error) => (this.failure ??= err));
  }

  write(line: number, row: Row): void | Promise<void> {
    if (this.failure) throw this.failure;
    const text = copyLine(
      line,
      this.columns.map((c) => row[c] ?? null),
    );
    this.chunks.push(text);
    this.chars += text.length;
    if (this.chars >= FLUSH_CHARS) return this.flush();
  }

  async commit(): Promise<WriteCounts> {
    if (this.closed) throw new Error('import session already closed');
    let counts: WriteCounts;
    try {
      counts = await this.upsertAndCommit();
    } catch (err) {
      await this.rollback();
      throw err;
    }
    // Committed: from here on nothing may turn the import into a failure.
    this.closed = true;
    await this.timed('maintain', () => settle(this.client, importTable(this.kind).table));
    await this.release(true);
    return counts;
  }

  async rollback(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Destroying an unfinished COPY sends CopyFail; the server ends the COPY and the rollback follows.
    if (!this.copy.writableFinished) this.copy.destroy();
    await rollbackAndRelease(this.client, this.release);
  }

  private async upsertAndCommit(): Promise<WriteCounts> {
    const q = this.client;
    await this.flush();
    this.copy.end();
    await finished(this.copy);
    this.onPhase?.('copy', performance.now() - this.opened);
    if (this.failure) throw this.failure;
    const staged = this.copy.rowCount;
    const deleted = await this.timed('dedupe', () => q.query(dedupeStageSql(this.kind)));
    const duplicates = deleted.rowCount ?? 0;
    if (this.kind === 'tickets') await this.timed('keep-created-at', () => q.query(keepCreatedAtSql()));
    const same = await this.timed('drop-unchanged', () => q.query(dropUnchangedSql(this.kind)));
    const unchanged = same.rowCount ?? 0;
    const up = await this.timed('upsert', () =>
      q.query<{ inserted: number; updated: number }>(upsertSql(this.kind), [this.tenantId]),
    );
    const { inserted = 0, updated = 0 } = up.rows[0] ?? {};
    const { corpus } = importTable(this.kind);
    if (corpus) {
      await this.timed('lexemes', async () => {
        for (const s of refreshLexemesStatements(this.tenantId, corpus)) {
          await q.query(inline(this.knex, s));
        }
      });
    }
    // Every staged row is a duplicate, unchanged, inserted or updated; anything else is a bug, and
    // counts that do not add up must not be reported as an import.
    if (staged !== duplicates + unchanged + inserted + updated) {
      throw new Error(
        `staged ${staged} rows but accounted for ${duplicates + unchanged + inserted + updated}`,
      );
    }
    await this.timed('commit', () => q.query('commit'));
    return { inserted, updated, unchanged, duplicates };
  }

  private async timed<T>(phase: ImportPhase, step: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await step();
    } finally {
      this.onPhase?.(phase, performance.now() - started);
    }
  }

  private flush(): void | Promise<void> {
    if (this.chunks.length === 0) return;
    const data = this.chunks.join('');
    this.chunks = [];
    this.chars = 0;
    if (!this.copy.write(data)) return once(this.copy, 'drain').then(() => undefined);
  }
}

async function rollbackAndRelease(
  client: Client,
  release: (healthy: boolean) => Promise<void>,
): Promise<void> {
  let healthy = true;
  try {
    await client.query('rollback');
  } catch {
    healthy = false;
  }
  await release(healthy);
}

/** Back to the pool when its state is known to be clean; otherwise closed, so the pool drops it. */
async function releaseTo(knex: Knex, client: Client, healthy: boolean): Promise<void> {
  if (!healthy) await client.end().catch(() => undefined);
  await pool(knex).releaseConnection(client);
}

/** A setting's value as a SQL literal (SET takes no bind parameters). */
function quote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * After a bulk load: GIN keeps new entries in a pending list that every search scans until it is
 * merged (seen here: 13 ms instead of 0.1 ms per search after 100 000 tickets), and the planner's
 * statistics are stale, of the table and of the lexeme counts the import rewrote. Merge and analyze now rather than wait for autovacuum. Both need the table's
 * owner (the connecting role after `set local role` ended with the transaction); anyone else leaves it
 * to autovacuum, which does the same within minutes.
 */
async function settle(client: Client, table: string): Promise<void> {
  try {
    await client.query(
      `select gin_clean_pending_list(i.indexrelid) from pg_index i join pg_class c on c.oid = i.indexrelid
        join pg_am a on a.oid = c.relam where i.indrelid = $1::regclass and a.amname = 'gin'`,
      [table],
    );
    await client.query(`analyze ${table}`);
    // Rewritten by every import: stale statistics make the rare-lexeme lookup scan a tenant's every
    // lexeme (seen: 12 ms instead of 1 ms per search).
    await client.query(`analyze search_lexemes`);
    await client.query(`analyze search_corpora`);
  } catch {
    // Not the owner: autovacuum will do it.
  }
}
