import type { Knex } from '@mikro-orm/postgresql';
import { openReadPool } from '../../src/adapters/db/orm.js';
import { PgContextStore } from '../../src/adapters/db/context-store.js';
import { gatherContext } from '../../src/pipeline/context/gather.js';
import { systemClock } from '../../src/lib/clock.js';
import { createTestEnv, type TestEnv } from '../helpers/services.js';
import { seedContext, type TicketRow } from '../helpers/context-fixtures.js';
import { enhanceContext } from '../helpers/enhance-context.js';
import { validJob } from '../helpers/jobs.js';

const PLANTED: TicketRow = {
  ticket_id: 'A-planted',
  subject: 'Outlook crashes opening the shared calendar',
  description: 'Outlook closes with error 0x800CCC0E whenever the finance shared calendar is opened.',
  resolution: 'Removed the corrupt calendar delegate and rebuilt the OST. Error 0x800CCC0E gone.',
};

/** Tickets that share the planted one's common words, not its specifics. */
const NOISE: TicketRow[] = Array.from({ length: 60 }, (_, i) => ({
  ticket_id: `A-noise-${i}`,
  subject: ['Outlook slow', 'Calendar invite missing', 'Outlook crashes on start', 'Shared mailbox'][i % 4]!,
  description: `Outlook problem number ${i}: the user says email and calendar are slow, opened twice.`,
  resolution: 'Restarted Outlook.',
}));

const SECRET_B: TicketRow = {
  ticket_id: 'B-same',
  subject: PLANTED.subject,
  description: PLANTED.description,
  resolution: 'Tenant B only: zebra-quartz fix.',
};

describe('context reads on Postgres', () => {
  let t: TestEnv;
  let pool: Knex;
  let store: PgContextStore;
  const opts = () => ({ signal: new AbortController().signal, timeoutMs: 5000 });
  const gather = (tenant: string, description: string, ticketId = 'NEW-1') =>
    gatherContext(validJob({ tenant_id: tenant, ticket_id: ticketId, description }), enhanceContext(), {
      store,
      clock: systemClock,
      stepTimeoutMs: 5000,
      limits: { similar: 5, kb: 3, assets: 10 },
    });

  beforeAll(async () => {
    t = await createTestEnv('context_store');
    await seedContext(t.databaseUrl, 'tenant-a', {
      tickets: [
        PLANTED,
        ...NOISE,
        { ticket_id: 'A-open', subject: PLANTED.subject, description: PLANTED.description, status: 'open' },
      ],
      articles: [
        {
          article_id: 'KB-7',
          title: 'Rebuilding an Outlook OST file',
          body: 'When Outlook reports 0x800CCC0E on a shared calendar, close Outlook, rename the OST and reopen it.',
          url: 'https://kb.example/7',
        },
        { article_id: 'KB-8', title: 'Printer jams', body: 'Open tray 2 and remove the paper.' },
      ],
      assets: [
        { network: '10.0.4.17', hostname: 'db-prod-3', owner: 'DBA team', role: 'primary' },
        { network: '10.0.4.0/24', hostname: 'net-dc1-db', owner: 'Network team' },
        { network: '10.0.0.0/8', hostname: 'corp-v4' },
        { network: '2001:db8::/32', hostname: 'lab-v6' },
        { network: '2001:db8:1::/64', hostname: 'lab-v6-rack1' },
        { network: '192.168.7.7', hostname: 'MAIL-1', owner: 'Messaging' },
      ],
    });
    await seedContext(t.databaseUrl, 'tenant-b', {
      tickets: [SECRET_B],
      articles: [{ article_id: 'KB-B', title: 'Outlook OST zebra-quartz', body: PLANTED.description }],
      assets: [{ network: '10.0.4.17', hostname: 'b-only-host' }],
    });
    pool = openReadPool({ databaseUrl: t.databaseUrl, poolMax: 4, applicationName: 'test' });
    store = new PgContextStore(pool);
  });
  afterAll(async () => {
    await pool?.destroy();
    await t?.teardown();
  });

  const query = (tenant: string, text: string) => ({
    tenantId: tenant,
    ticketId: 'NEW-1',
    text,
    subject: text.split('\n')[0]!,
  });

  it('ranks the planted related ticket first among tickets that share only common words', async () => {
    const text = 'Outlook crashes: 0x800CCC0E when I open the shared calendar of finance';
    const out = await store.similarTickets(query('tenant-a', text), 5, opts());
    expect(out[0]).toMatchObject({ ticket_id: 'A-planted', resolution: PLANTED.resolution });
    expect(out[0]!.score).toBeGreaterThan(out[1]?.score ?? 0);
    expect(out.length).toBeLessThanOrEqual(5);
  });

  it('offers only resolved tickets, never the ticket itself', async () => {
    const out = await store.similarTickets(
      { ...query('tenant-a', PLANTED.description), ticketId: 'A-planted' },
      50,
      opts(),
    );
    const ids = out.map((r) => r.ticket_id);
    expect(ids).not.toContain('A-planted');
    expect(ids).not.toContain('A-open');
  });

  it('relates on two shared words, or on one identifier alone, never on one ordinary word', async () => {
    const identifier = await store.similarTickets(query('tenant-a', 'still seeing 0x800CCC0E'), 5, opts());
    expect(identifier.map((r) => r.ticket_id)).toEqual(['A-planted']);
    // "finance" is rare here (one ticket), but one ordinary word in common is a coincidence.
    const word = await store.similarTickets(query('tenant-a', 'Budget approval for finance'), 5, opts());
    expect(word).toEqual([]);
    const two = await store.similarTickets(query('tenant-a', 'finance delegate trouble'), 5, opts());
    expect(two.map((r) => r.ticket_id)).toEqual(['A-planted']);
  });

  it('falls back to subject similarity when full text finds nothing (a typo)', async () => {
    const out = await store.similarTickets(
      query('tenant-a', 'Outlok crashs openning the shard calender'),
      5,
      opts(),
    );
    expect(out[0]?.ticket_id).toBe('A-planted');
  });

  it('keeps the candidate functions to the tenant of app.tenant_id, and to nobody without one', async () => {
    // set_config(…, true) lasts the statement's implicit transaction; lateral runs the function after it.
    const ids = async (tenant: string) =>
      (
        await t.query(
          `select c.id from (select set_config('app.tenant_id', $1, true)) s,
             lateral context_ticket_candidates('error 0x800CCC0E delegate', '', '', 50) c`,
          [tenant],
        )
      ).length;
    expect(await ids('tenant-a')).toBe(1);
    expect(await ids('tenant-b')).toBe(1);
    expect(await ids('')).toBe(0);
  });

  it("never shows tenant B's identical ticket, article or asset to tenant A (row-level security, no WHERE)", async () => {
    const a = await gather('tenant-a', `${PLANTED.subject}\n${PLANTED.description} zebra-quartz 10.0.4.17`);
    const all = JSON.stringify(a.context);
    expect(all).not.toContain('B-same');
    expect(all).not.toContain('zebra');
    expect(all).not.toContain('b-only-host');
    // The same search as tenant B finds B's own rows: the rows are there, RLS hides them from A.
    const b = await gather('tenant-b', `${PLANTED.subject}\n${PLANTED.description} 10.0.4.17`);
    expect(b.context.similar_tickets.map((r) => r.ticket_id)).toEqual(['B-same']);
    expect(b.context.ip_assets.map((r) => r.hostname)).toEqual(['b-only-host']);
  });

  it('finds the article with a highlighted excerpt and its link', async () => {
    const out = await store.kbArticles(
      query('tenant-a', 'Outlook error 0x800CCC0E on the shared calendar'),
      3,
      opts(),
    );
    expect(out.map((a) => a.article_id)).toEqual(['KB-7']);
    expect(out[0]).toMatchObject({ title: 'Rebuilding an Outlook OST file', url: 'https://kb.example/7' });
    expect(out[0]!.excerpt).toContain('**Outlook**');
  });

  it('matches IPv4, IPv6 and CIDR literals by containment, most specific first; hostnames too', async () => {
    const out = await gather(
      'tenant-a',
      'Cannot reach 10.0.4.17 nor 2001:db8:1::5; the 10.0.4.0/26 range; mail-1 bounces; 999.1.1.1 and 1.2.3.4.5 are noise',
    );
    const range = await gather('tenant-a', 'only the 10.0.4.0/26 range');
    expect(range.context.ip_assets.map((a) => a.network)).toEqual(['10.0.4.0/24', '10.0.0.0/8']);
    expect(out.context.ip_assets.map((a) => [a.query, a.network, a.hostname, a.matched_by])).toEqual([
      ['10.0.4.17', '10.0.4.17', 'db-prod-3', 'address'],
      ['10.0.4.17', '10.0.4.0/24', 'net-dc1-db', 'address'],
      ['10.0.4.17', '10.0.0.0/8', 'corp-v4', 'address'],
      ['2001:db8:1::5', '2001:db8:1::/64', 'lab-v6-rack1', 'address'],
      ['2001:db8:1::5', '2001:db8::/32', 'lab-v6', 'address'],
      // The range's containers are already listed for 10.0.4.17: each asset appears once.
      ['mail-1', '192.168.7.7', 'MAIL-1', 'hostname'],
    ]);
  });

  it('reads a 64 KiB description and one full of tsquery syntax without error, in budget', async () => {
    const big = `Outlook 0x800CCC0E ${'lorem ipsum dolor sit amet 10.1.2.3 '.repeat(1800)}`.slice(0, 65_536);
    const syntax = `& | ! ( ) : * < > ' " \\ <-> <2> :* !!outlook & (calendar | 0x800CCC0E) ' '' "`;
    for (const description of [big, syntax, '']) {
      const out = await gather('tenant-a', description);
      expect(Object.values(out.steps).map((s) => s.status)).toEqual(['ok', 'ok', 'ok']);
      for (const s of Object.values(out.steps)) expect(s.ms).toBeLessThan(2000);
    }
  });

  it('gives up on a read whose statement outlives its budget (Postgres cancels it)', async () => {
    await expect(
      // Parsing 64 KiB of text alone takes Postgres well over the 1 ms it is given.
      store.similarTickets(query('tenant-a', 'Outlook calendar 0x800CCC0E '.repeat(2400)), 5, {
        signal: new AbortController().signal,
        timeoutMs: 1,
      }),
    ).rejects.toMatchObject({ code: '57014' });
  });
});
