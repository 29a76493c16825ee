import pg from 'pg';

export interface StatusCounts {
  readonly completed: number;
  readonly pending: number;
  readonly failed: number;
}

export interface CompletedSpan {
  readonly count: number;
  /** Epoch milliseconds (updated_at of the first and last completed row). */
  readonly firstMs: number;
  readonly lastMs: number;
}

/** How the bench learns which jobs a consumer completed, and when (epoch ms, this machine's clock). */
export interface CompletionProbe {
  counts(): Promise<StatusCounts>;
  completedSpan(): Promise<CompletedSpan>;
  /** When each of `jobIds` completed; jobs not completed are missing. */
  completedAt(jobIds: readonly string[]): Promise<Map<string, number>>;
  /** Server processes that answer the probe (their CPU is the bench's, not the consumer's). */
  readonly serverPids: readonly number[];
  close(): Promise<void>;
}

/**
 * Reads a consumer's enhancement_history from outside, on one connection of its own (not the
 * consumer's pool). Postgres runs on this machine, so its clock_timestamp() and Date.now() agree.
 */
export class HistoryProbe implements CompletionProbe {
  private constructor(
    private readonly client: pg.Client,
    readonly serverPids: readonly number[],
  ) {}

  static async open(url: string): Promise<HistoryProbe> {
    const client = new pg.Client({ connectionString: url, application_name: 'enhancer-bench' });
    await client.connect();
    client.on('error', () => undefined);
    try {
      const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
      return new HistoryProbe(client, [rows[0]!.pid]);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
  }

  async counts(): Promise<StatusCounts> {
    const { rows } = await this.client.query<{ completed: string; pending: string; failed: string }>(
      `select count(*) filter (where status = 'completed') as completed,
              count(*) filter (where status = 'pending') as pending,
              count(*) filter (where status = 'failed') as failed
         from enhancement_history`,
    );
    const r = rows[0]!;
    return { completed: Number(r.completed), pending: Number(r.pending), failed: Number(r.failed) };
  }

  async completedSpan(): Promise<CompletedSpan> {
    const { rows } = await this.client.query<{ n: string; first: number | null; last: number | null }>(
      `select count(*) as n,
              extract(epoch from min(updated_at))::float8 * 1000 as first,
              extract(epoch from max(updated_at))::float8 * 1000 as last
         from enhancement_history where status = 'completed'`,
    );
    const r = rows[0]!;
    if (r.first === null || r.last === null) throw new Error('no completed rows');
    return { count: Number(r.n), firstMs: r.first, lastMs: r.last };
  }

  /** updated_at (epoch ms) of each completed row among `jobIds`. */
  async completedAt(jobIds: readonly string[]): Promise<Map<string, number>> {
    const { rows } = await this.client.query<{ job_id: string; at: number }>(
      `select job_id::text, extract(epoch from updated_at)::float8 * 1000 as at
         from enhancement_history where status = 'completed' and job_id = any($1::uuid[])`,
      [jobIds],
    );
    return new Map(rows.map((r) => [r.job_id, r.at]));
  }

  close(): Promise<void> {
    return this.client.end().catch(() => undefined);
  }
}
