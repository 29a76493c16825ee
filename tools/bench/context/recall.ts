import { PgContextStore } from '../../../src/adapters/db/context-store.js';
import type { Knex } from '@mikro-orm/postgresql';
import { plainText, subjectProbe } from '../../../src/pipeline/context/text.js';
import { queryTickets, type SampleSpec } from '../../sample/generate.js';

/**
 * Recall@5 of the similar-tickets search on the generated set: for each query ticket, the share of its
 * related (same-family, resolved) tickets among the top 5, out of at most 5; averaged over queries.
 */
export async function recallAt5(
  knex: Knex,
  specs: readonly SampleSpec[],
  queriesPerTenant: number,
): Promise<number> {
  const store = new PgContextStore(knex);
  let sum = 0;
  let n = 0;
  for (const spec of specs) {
    for (const q of queryTickets(spec, queriesPerTenant)) {
      const text = plainText(q.description);
      const found = await store.similarTickets(
        {
          tenantId: spec.tenant,
          ticketId: q.ticket_id,
          text,
          subject: subjectProbe(text),
        },
        5,
        { signal: new AbortController().signal, timeoutMs: 5_000 },
      );
      const hits = found.filter((t) => q.related.includes(t.ticket_id)).length;
      sum += hits / Math.min(5, q.related.length);
      n++;
    }
  }
  return sum / n;
}
