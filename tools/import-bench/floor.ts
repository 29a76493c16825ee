/**
 * What Postgres alone needs for the rows just imported: a plain INSERT … SELECT of them into a copy
 * of `tickets` with the same generated tsvector and indexes. No import can be faster than this on
 * the same machine, so it tells how much of an import's time is the table's own cost.
 */
import pg from 'pg';

export async function ticketsInsertFloor(databaseUrl: string): Promise<{ rows: number; ms: number }> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query('drop table if exists bench_floor_tickets');
    await client.query('create table bench_floor_tickets (like tickets including all)');
    const started = performance.now();
    const r = await client.query(`insert into bench_floor_tickets
        (tenant_id, ticket_id, subject, description, resolution, status, category, created_at, resolved_at)
      select tenant_id, ticket_id, subject, description, resolution, status, category, created_at, resolved_at
      from tickets`);
    const ms = performance.now() - started;
    return { rows: r.rowCount ?? 0, ms: Math.round(ms) };
  } finally {
    await client.query('drop table if exists bench_floor_tickets').catch(() => undefined);
    await client.end();
  }
}
