import type { Knex } from '@mikro-orm/postgresql';
import type {
  AssetMatch,
  ContextStore,
  KbArticle,
  ReadOptions,
  SimilarTicket,
  TicketQuery,
} from '../../pipeline/context/types.js';
import { assetsStatement, kbArticlesStatement, similarTicketsStatement } from './sql/context-queries.js';
import type { Statement } from './sql/statement.js';
import { tenantQuery } from './tenant-query.js';
import type { PgLinks } from './pg-links.js';

/** Rows as the driver returns them (numeric scores arrive as numbers: the SQL casts to float8). */
interface TicketRow {
  ticket_id: string;
  subject: string;
  score: number;
  resolution: string | null;
  category: string | null;
  resolved_at: Date | null;
}
interface ArticleRow {
  article_id: string;
  title: string;
  url: string | null;
  excerpt: string | null;
  score: number;
}
type AssetRow = Omit<AssetMatch, 'matched_by'> & { matched_by: string };

/**
 * The context port on Postgres: each step is one round trip (tenant-query.ts), on a pool of its own,
 * so searches never hold up the history writes that acks wait for.
 */
export class PgContextStore implements ContextStore {
  constructor(
    private readonly knex: Knex,
    /** The read pool's connections, so one that stops answering is let go of (see PgLinks). */
    private readonly links?: PgLinks,
  ) {}

  async similarTickets(q: TicketQuery, limit: number, opts: ReadOptions): Promise<SimilarTicket[]> {
    const rows = await this.read<TicketRow>(q.tenantId, similarTicketsStatement({ ...q, limit }), opts);
    return rows.map((r) => ({
      ticket_id: r.ticket_id,
      subject: r.subject,
      score: Number(r.score),
      resolution: r.resolution,
      category: r.category,
      resolved_at: r.resolved_at ? r.resolved_at.toISOString() : null,
    }));
  }

  async kbArticles(q: TicketQuery, limit: number, opts: ReadOptions): Promise<KbArticle[]> {
    const rows = await this.read<ArticleRow>(q.tenantId, kbArticlesStatement({ ...q, limit }), opts);
    return rows.map((r) => ({
      article_id: r.article_id,
      title: r.title,
      url: r.url,
      excerpt: r.excerpt ?? '',
      score: Number(r.score),
    }));
  }

  async assets(
    tenantId: string,
    lookup: { readonly addresses: readonly string[]; readonly hostnames: readonly string[] },
    limit: number,
    opts: ReadOptions,
  ): Promise<AssetMatch[]> {
    const rows = await this.read<AssetRow>(
      tenantId,
      assetsStatement(lookup.addresses, lookup.hostnames, limit),
      opts,
    );
    const seen = new Set<string>();
    const out: AssetMatch[] = [];
    for (const r of rows) {
      // An asset found by its address and by its name (or by two addresses) is listed once.
      const key = `${r.network} ${r.hostname}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ ...r, matched_by: r.matched_by === 'hostname' ? 'hostname' : 'address' });
    }
    return out;
  }

  private read<R>(tenantId: string, s: Statement, opts: ReadOptions): Promise<R[]> {
    return tenantQuery<R>(this.knex, tenantId, s, { ...opts, links: this.links });
  }
}
