import type {
  AssetMatch,
  ContextStore,
  KbArticle,
  ReadOptions,
  SimilarTicket,
  TicketQuery,
} from '../../src/pipeline/context/types.js';

type Answer<T> = (opts: ReadOptions) => Promise<T[]>;

/** A ContextStore whose answers a test sets per step; every call is recorded. */
export class FakeContextStore implements ContextStore {
  readonly calls: {
    step: string;
    query?: TicketQuery;
    lookup?: unknown;
    limit: number;
    opts: ReadOptions;
  }[] = [];
  similar: Answer<SimilarTicket> = () => Promise.resolve([]);
  kb: Answer<KbArticle> = () => Promise.resolve([]);
  ips: Answer<AssetMatch> = () => Promise.resolve([]);

  similarTickets(query: TicketQuery, limit: number, opts: ReadOptions): Promise<SimilarTicket[]> {
    this.calls.push({ step: 'similar_tickets', query, limit, opts });
    return this.similar(opts);
  }
  kbArticles(query: TicketQuery, limit: number, opts: ReadOptions): Promise<KbArticle[]> {
    this.calls.push({ step: 'kb_articles', query, limit, opts });
    return this.kb(opts);
  }
  assets(
    _tenantId: string,
    lookup: { readonly addresses: readonly string[]; readonly hostnames: readonly string[] },
    limit: number,
    opts: ReadOptions,
  ): Promise<AssetMatch[]> {
    this.calls.push({ step: 'ip_assets', lookup, limit, opts });
    return this.ips(opts);
  }
}

/** Never answers, but rejects when its signal aborts (as a read that honours its signal does). */
export function hang<T>(opts: ReadOptions): Promise<T[]> {
  return new Promise((_, reject) =>
    opts.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }),
  );
}

export const aTicket: SimilarTicket = {
  ticket_id: 'T-1',
  subject: 'VPN drops every hour',
  score: 0.9,
  resolution: 'Reinstalled AnyConnect.',
  category: null,
  resolved_at: null,
};
