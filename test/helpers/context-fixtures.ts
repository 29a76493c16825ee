/** Seeds a test database's context tables for one tenant, under its row-level security. */
import { Client } from 'pg';
import { refreshLexemesStatements } from '../../src/adapters/db/sql/search-lexemes.js';

export interface TicketRow {
  readonly ticket_id: string;
  readonly subject: string;
  readonly description: string;
  readonly resolution?: string | null;
  readonly status?: string;
}
export interface ArticleRow {
  readonly article_id: string;
  readonly title: string;
  readonly body: string;
  readonly url?: string | null;
}
export interface AssetRow {
  readonly network: string;
  readonly hostname: string;
  readonly owner?: string | null;
  readonly role?: string | null;
}

export async function seedContext(
  databaseUrl: string,
  tenantId: string,
  data: { tickets?: TicketRow[]; articles?: ArticleRow[]; assets?: AssetRow[] },
): Promise<void> {
  const c = new Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    await c.query('begin');
    await c.query('set local role enhancer_tenant');
    await c.query(`select set_config('app.tenant_id', $1, true)`, [tenantId]);
    for (const t of data.tickets ?? []) {
      await c.query(
        `insert into tickets (tenant_id, ticket_id, subject, description, resolution, status)
         values ($1, $2, $3, $4, $5, $6)`,
        [tenantId, t.ticket_id, t.subject, t.description, t.resolution ?? null, t.status ?? 'resolved'],
      );
    }
    for (const a of data.articles ?? []) {
      await c.query(
        `insert into kb_articles (tenant_id, article_id, title, body, url) values ($1, $2, $3, $4, $5)`,
        [tenantId, a.article_id, a.title, a.body, a.url ?? null],
      );
    }
    for (const a of data.assets ?? []) {
      await c.query(
        `insert into ip_assets (tenant_id, network, hostname, owner, role) values ($1, $2, $3, $4, $5)`,
        [tenantId, a.network, a.hostname, a.owner ?? null, a.role ?? null],
      );
    }
    for (const corpus of ['tickets', 'kb'] as const) {
      for (const s of refreshLexemesStatements(tenantId, corpus)) {
        let i = 0;
        await c.query(
          s.sql.replace(/\?/g, () => `$${++i}`),
          [...s.bindings],
        );
      }
    }
    await c.query('commit');
  } finally {
    await c.end();
  }
}
