import {
  queryTickets,
  sampleArticles,
  sampleAssets,
  sampleTickets,
  type SampleSpec,
} from '../../../tools/sample/generate.js';
import { KINDS } from '../../../src/import/kinds.js';

const spec: SampleSpec = { tenant: 'acme', tenantIndex: 0, tickets: 300, articles: 40, assets: 40 };

describe('the generated sample', () => {
  it('is the same every time (a seeded source, no clock)', () => {
    expect(JSON.stringify([...sampleTickets(spec)])).toBe(JSON.stringify([...sampleTickets(spec)]));
    expect(JSON.stringify(queryTickets(spec, 10))).toBe(JSON.stringify(queryTickets(spec, 10)));
  });

  it('has the asked sizes and lines the import accepts', () => {
    const tickets = [...sampleTickets(spec)];
    const articles = [...sampleArticles(spec)];
    const assets = [...sampleAssets(spec)];
    expect([tickets.length, articles.length, assets.length]).toEqual([300, 40, 40]);
    for (const t of tickets) expect(KINDS.tickets.schema.safeParse(t).success).toBe(true);
    for (const a of articles) expect(KINDS.kb.schema.safeParse(a).success).toBe(true);
    for (const a of assets) expect(KINDS.assets.schema.safeParse(a).success).toBe(true);
    expect(new Set(tickets.map((t) => t.ticket_id)).size).toBe(300);
  });

  it("gives each query ticket its family's resolved tickets as related", () => {
    const tickets = new Map([...sampleTickets(spec)].map((t) => [t.ticket_id, t]));
    for (const q of queryTickets(spec, 20)) {
      expect(q.related.length).toBeGreaterThan(0);
      for (const id of q.related) expect(tickets.get(id)?.status).not.toBe('open');
    }
  });

  it('keeps tenants apart in address space', () => {
    const a = [...sampleAssets(spec)].map((x) => x.network);
    const b = [...sampleAssets({ ...spec, tenant: 'globex', tenantIndex: 1 })].map((x) => x.network);
    expect(a.filter((n) => b.includes(n))).toEqual([]);
  });
});
