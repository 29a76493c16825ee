import amqp, { type Channel, type ChannelModel } from 'amqplib';
import pg from 'pg';
import { deleteTopology, describeTopology, names, type Topology } from '../../src/adapters/amqp/topology.js';

/** The same server as `databaseUrl`, another database. */
export function withDatabase(databaseUrl: string, database: string): string {
  const u = new URL(databaseUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

const isNotFound = (err: unknown) => (err as { code?: unknown } | null)?.code === 404;

/**
 * Deletes every queue and exchange of `prefix`, one object at a time, skipping the missing ones
 * (a broker that answers "not found" also closes the channel, so a fresh one is opened then).
 */
export async function purgeTopology(amqpUrl: string, prefix: string, deliveryLimit: number): Promise<number> {
  const conn = await connect(amqpUrl);
  try {
    const all = describeTopology(prefix, deliveryLimit);
    const one: Topology[] = [
      ...all.queues.map((q) => ({ exchanges: [], queues: [q], bindings: [] })),
      ...all.exchanges.map((e) => ({ exchanges: [e], queues: [], bindings: [] })),
    ];
    let ch = await channel(conn);
    for (const t of one) {
      try {
        await deleteTopology(ch, t);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        ch = await channel(conn);
      }
    }
    return one.length;
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** A broker connection that counts the dead letters of `prefix`. */
export async function openDeadLetterCounter(
  amqpUrl: string,
  prefix: string,
): Promise<{ count(): Promise<number>; close(): Promise<void> }> {
  const conn = await connect(amqpUrl);
  const queue = names(prefix).dead;
  let ch = await channel(conn);
  return {
    async count() {
      try {
        return (await ch.checkQueue(queue)).messageCount;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        ch = await channel(conn);
        return 0;
      }
    },
    close: () => conn.close().catch(() => undefined),
  };
}

/** One enhancement_history row as the demo prints it. */
export interface HistoryRow {
  readonly job_id: string;
  readonly ticket_id: string | null;
  readonly tenant_id: string;
  readonly status: 'pending' | 'completed' | 'failed';
  readonly attempts: number;
  readonly processing_time_ms: number | null;
  readonly result_summary: string | null;
  readonly error_message: string | null;
  readonly result: {
    readonly note?: string;
    readonly synthesis?: { readonly kind: string; readonly fallback_reason?: string };
    readonly writeback?: { readonly status: string; readonly note_id?: string };
    readonly writeback_error?: string;
    readonly context?: {
      readonly ip_assets: readonly { readonly hostname: string }[];
      readonly similar_tickets: readonly { readonly ticket_id: string }[];
      readonly kb_articles: readonly unknown[];
    };
  } | null;
}

/**
 * Reads the demo's history rows. It connects as the table owner, which row-level security does not
 * restrict, so it sees every tenant's rows at once (the worker itself never does).
 */
export async function openHistoryReader(
  databaseUrl: string,
): Promise<{ rows(jobIds: readonly string[]): Promise<HistoryRow[]>; close(): Promise<void> }> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'enhancer-demo' });
  client.on('error', () => undefined);
  await client.connect();
  return {
    rows: async (jobIds) =>
      (
        await client.query<HistoryRow>(
          `select job_id::text, ticket_id, tenant_id, status, attempts, processing_time_ms,
                  result_summary, error_message, result
             from enhancement_history where job_id = any($1::uuid[])`,
          [jobIds],
        )
      ).rows,
    close: () => client.end().catch(() => undefined),
  };
}

async function connect(amqpUrl: string): Promise<ChannelModel> {
  try {
    const conn = await amqp.connect(amqpUrl, { clientProperties: { connection_name: 'enhancer-demo' } });
    conn.on('error', () => undefined);
    return conn;
  } catch (err) {
    const u = new URL(amqpUrl);
    throw new Error(`cannot reach RabbitMQ at ${u.host}: ${(err as Error).message}`, { cause: err });
  }
}

async function channel(conn: ChannelModel): Promise<Channel> {
  const ch = await conn.createChannel();
  ch.on('error', () => undefined);
  return ch;
}
