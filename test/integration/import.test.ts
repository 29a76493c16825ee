import { Readable } from 'node:stream';
import type { MikroORM } from '@mikro-orm/postgresql';
import { openOrm } from '../../src/adapters/db/orm.js';
import { importRows, openImportOrm } from '../../src/adapters/db/import/import-rows.js';
import { DEFAULTS } from '../../src/config/schema.js';
import { PgImportTarget } from '../../src/adapters/db/import/pg-import-target.js';
import type { ImportFormat } from '../../src/import/format.js';
import type { ImportKind } from '../../src/import/kinds.js';
import type { ImportOptions } from '../../src/import/types.js';
import { sampleRecord } from '../../tools/import-bench/sample-data.js';
import { deferred } from '../helpers/deferred.js';
import { createTestEnv, type TestEnv } from '../helpers/services.js';

const ndjson = (...records: object[]) => records.map((r) => JSON.stringify(r)).join('\n');

function run(
  orm: MikroORM,
  kind: ImportKind,
  tenantId: string,
  text: string,
  more: Partial<ImportOptions> = {},
) {
  const format: ImportFormat = more.format ?? (text.startsWith('{') ? 'ndjson' : 'csv');
  return importRows(orm, {
    kind,
    tenantId,
    format,
    source: Readable.from([Buffer.from(text)]),
    label: `${kind}.${format}`,
    ...more,
  });
}

describe('import into Postgres', () => {
  let t: TestEnv;
  let orm: MikroORM;
  const tickets = (tenant: string) =>
    t.query<{
      ticket_id: string;
      subject: string;
      status: string;
      resolution: string | null;
      created_at: Date;
    }>(
      'select ticket_id, subject, status, resolution, created_at from tickets where tenant_id = $1 order by ticket_id',
      [tenant],
    );

  beforeAll(async () => {
    t = await createTestEnv('import');
    // One connection: every import must hand it back clean, or the next one would hang or fail.
    orm = await openOrm({ databaseUrl: t.databaseUrl, poolMax: 1 });
  });
  afterAll(async () => {
    await orm?.close(true);
    await t?.teardown();
  });

  describe('each kind, from NDJSON and from CSV', () => {
    it('tickets', async () => {
      const json = ndjson(
        {
          ticket_id: 'T-1',
          subject: 'VPN drops',
          description: 'hourly',
          resolution: 'new cable',
          category: 'network',
        },
        { ticket_id: 4711, subject: 'Printer', description: '', status: 'Pending', created_at: '2024-05-01' },
      );
      expect(await run(orm, 'tickets', 'nd', json)).toMatchObject({ ok: true, inserted: 2, rows: 2 });
      const csv =
        'ticket_id,subject,description,resolution,status,created_at,resolved_at\n' +
        'T-1,"VPN, again","two\nlines",fixed,,2024-05-01T09:30:00+02:00,2024-05-02T10:00:00Z\n';
      expect(await run(orm, 'tickets', 'cs', csv)).toMatchObject({ ok: true, inserted: 1 });
      const rows = await t.query(
        `select tenant_id, ticket_id, subject, description, resolution, status, category,
           created_at::text, resolved_at::text from tickets where tenant_id in ('nd', 'cs') order by tenant_id, ticket_id`,
      );
      expect(rows).toEqual([
        expect.objectContaining({
          tenant_id: 'cs',
          subject: 'VPN, again',
          description: 'two\nlines',
          status: 'resolved',
        }),
        expect.objectContaining({
          tenant_id: 'nd',
          ticket_id: '4711',
          status: 'pending',
          created_at: '2024-05-01 00:00:00+00',
        }),
        expect.objectContaining({
          tenant_id: 'nd',
          ticket_id: 'T-1',
          status: 'resolved',
          category: 'network',
        }),
      ]);
      expect(rows[0]).toMatchObject({
        created_at: '2024-05-01 07:30:00+00',
        resolved_at: '2024-05-02 10:00:00+00',
      });
    });

    it('kb articles, tags as a JSON list or a ;-separated cell', async () => {
      const article = {
        article_id: 'KB-1',
        title: 'Reset MFA',
        body: 'Open the portal',
        url: 'https://kb.example/1',
      };
      expect(
        await run(orm, 'kb', 'nd', ndjson({ ...article, tags: ['mfa', 'say "hi"', 'a,b'] })),
      ).toMatchObject({
        inserted: 1,
      });
      const csv =
        'article_id,title,body,tags\nKB-1,Reset MFA,"Open the portal","mfa; login"\nKB-2,No tags,x,\n';
      expect(await run(orm, 'kb', 'cs', csv)).toMatchObject({ inserted: 2 });
      const rows = await t.query<{
        tenant_id: string;
        article_id: string;
        tags: string[];
        url: string | null;
      }>(
        `select tenant_id, article_id, tags, url from kb_articles where tenant_id in ('nd', 'cs') order by 1, 2`,
      );
      expect(rows).toEqual([
        { tenant_id: 'cs', article_id: 'KB-1', tags: ['mfa', 'login'], url: null },
        { tenant_id: 'cs', article_id: 'KB-2', tags: [], url: null },
        {
          tenant_id: 'nd',
          article_id: 'KB-1',
          tags: ['mfa', 'say "hi"', 'a,b'],
          url: 'https://kb.example/1',
        },
      ]);
    });

    it('assets: addresses and ranges, IPv4 and IPv6', async () => {
      const json = ndjson(
        { network: '10.0.4.17', hostname: 'web-01', owner: 'ops' },
        { network: '2001:DB8::/48', hostname: 'lab.corp.example' },
      );
      expect(await run(orm, 'assets', 'nd', json)).toMatchObject({ inserted: 2 });
      const csv = 'network,hostname,role,location,notes\n10.0.4.0/24,office-lan,lan,"Berlin, 3rd floor",\n';
      expect(await run(orm, 'assets', 'cs', csv)).toMatchObject({ inserted: 1 });
      const rows = await t.query(
        `select tenant_id, network::text, hostname, owner, role, location, notes from ip_assets
          where tenant_id in ('nd', 'cs') order by 1, 2`,
      );
      expect(rows).toEqual([
        {
          tenant_id: 'cs',
          network: '10.0.4.0/24',
          hostname: 'office-lan',
          owner: null,
          role: 'lan',
          location: 'Berlin, 3rd floor',
          notes: null,
        },
        {
          tenant_id: 'nd',
          network: '10.0.4.17/32',
          hostname: 'web-01',
          owner: 'ops',
          role: null,
          location: null,
          notes: null,
        },
        {
          tenant_id: 'nd',
          network: '2001:db8::/48',
          hostname: 'lab.corp.example',
          owner: null,
          role: null,
          location: null,
          notes: null,
        },
      ]);
    });
  });

  it('one bad line imports nothing of the file, and names its line and field', async () => {
    const json = ndjson(
      { ticket_id: 'A-1', subject: 's', description: 'd' },
      { ticket_id: 'A-2', subject: 's', description: 'd', created_at: 'last week' },
      { ticket_id: 'A-3', subject: 's', description: 'd' },
    );
    const s = await run(orm, 'tickets', 'aon', json);
    expect(s).toMatchObject({ ok: false, written: false, inserted: 0, invalidCount: 1 });
    expect(s.invalid).toEqual([
      { line: 2, field: 'created_at', reason: expect.stringMatching(/"last week" is not/) },
    ]);
    expect(await tickets('aon')).toEqual([]);
    // The connection went back to the pool clean: the next import on it works.
    expect(await run(orm, 'tickets', 'aon', json, { skipInvalid: true })).toMatchObject({
      ok: true,
      inserted: 2,
      skipped: 1,
    });
    expect((await tickets('aon')).map((r) => r.ticket_id)).toEqual(['A-1', 'A-3']);
  });

  it('a bad last line imports nothing, even after megabytes of rows were streamed to Postgres', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => sampleRecord('tickets', i + 1));
    const text = `${ndjson(...rows)}\n${JSON.stringify({ ticket_id: 'LAST', subject: '', description: 'd' })}\n`;
    expect(Buffer.byteLength(text)).toBeGreaterThan(1024 * 1024);
    const s = await run(orm, 'tickets', 'big', text);
    expect(s).toMatchObject({ ok: false, valid: 3000, invalidCount: 1 });
    expect(s.invalid).toEqual([{ line: 3001, field: 'subject', reason: 'must not be empty' }]);
    expect(await tickets('big')).toEqual([]);
    expect(await run(orm, 'tickets', 'big', ndjson(...rows))).toMatchObject({ ok: true, inserted: 3000 });
  });

  it('a re-import updates changed rows, leaves equal ones alone, and keeps created_at when the file has none', async () => {
    const first = ndjson(
      { ticket_id: 'U-1', subject: 'old', description: 'd' },
      { ticket_id: 'U-2', subject: 'same', description: 'd', created_at: '2024-01-01T00:00:00Z' },
    );
    expect(await run(orm, 'tickets', 'up', first)).toMatchObject({ inserted: 2, updated: 0 });
    const [u1] = await tickets('up');
    const second = ndjson(
      { ticket_id: 'U-1', subject: 'new', description: 'd', resolution: 'done' },
      { ticket_id: 'U-2', subject: 'same', description: 'd', created_at: '2024-01-01T00:00:00Z' },
      { ticket_id: 'U-3', subject: 'fresh', description: 'd' },
    );
    expect(await run(orm, 'tickets', 'up', second)).toMatchObject({ inserted: 1, updated: 1, unchanged: 1 });
    const rows = await tickets('up');
    expect(rows.map((r) => [r.ticket_id, r.subject, r.status])).toEqual([
      ['U-1', 'new', 'resolved'],
      ['U-2', 'same', 'open'],
      ['U-3', 'fresh', 'open'],
    ]);
    expect(rows[0]!.created_at).toEqual(u1!.created_at);
  });

  it('a key twice in one file: the last line wins', async () => {
    const json = ndjson(
      { network: '10.9.0.1', hostname: 'dup', owner: 'first' },
      { network: '10.9.0.2', hostname: 'dup', owner: 'other' },
      { network: '10.9.0.1/32', hostname: 'dup', owner: 'last' },
    );
    expect(await run(orm, 'assets', 'dup', json)).toMatchObject({ inserted: 2, duplicates: 1 });
    const rows = await t.query(
      `select network::text, owner from ip_assets where tenant_id = 'dup' order by 1`,
    );
    expect(rows).toEqual([
      { network: '10.9.0.1/32', owner: 'last' },
      { network: '10.9.0.2/32', owner: 'other' },
    ]);
  });

  it('a dry run writes nothing', async () => {
    const s = await run(orm, 'tickets', 'dry', ndjson({ ticket_id: 'D-1', subject: 's', description: 'd' }), {
      dryRun: true,
    });
    expect(s).toMatchObject({ ok: true, dryRun: true, written: false, valid: 1, inserted: 0 });
    expect(await tickets('dry')).toEqual([]);
  });

  it('importing for one tenant never touches another’s rows; a file cannot choose the tenant', async () => {
    const record = { ticket_id: 'SHARED-1', subject: 'b original', description: 'd' };
    await run(orm, 'tickets', 'tenant-b', ndjson(record));
    const json = ndjson(
      { ...record, subject: 'a version' },
      { ...record, ticket_id: 'X', tenant_id: 'tenant-a' },
    );
    expect(await run(orm, 'tickets', 'tenant-a', json)).toMatchObject({ inserted: 2, updated: 0 });
    expect((await tickets('tenant-b')).map((r) => r.subject)).toEqual(['b original']);
    const a =
      await t.query(`select tenant_id, ticket_id, subject from tickets where ticket_id in ('SHARED-1', 'X')
      order by tenant_id, ticket_id`);
    expect(a).toEqual([
      { tenant_id: 'tenant-a', ticket_id: 'SHARED-1', subject: 'a version' },
      { tenant_id: 'tenant-a', ticket_id: 'X', subject: 'b original' },
      { tenant_id: 'tenant-b', ticket_id: 'SHARED-1', subject: 'b original' },
    ]);

    const sneaky = ndjson({ ...record, subject: 'hijacked', tenant_id: 'tenant-b' });
    const s = await run(orm, 'tickets', 'tenant-a', sneaky, { skipInvalid: true });
    expect(s).toMatchObject({ ok: true, skipped: 1, inserted: 0, updated: 0 });
    expect(s.invalid[0]).toMatchObject({ line: 1, field: 'tenant_id' });
    expect((await tickets('tenant-b')).map((r) => r.subject)).toEqual(['b original']);
  });

  it('refreshes the lexeme counts of resolved tickets and of kb articles', async () => {
    const json = ndjson(
      {
        ticket_id: 'L-1',
        subject: 'printer jammed',
        description: 'paper',
        resolution: 'cleared the printer',
      },
      { ticket_id: 'L-2', subject: 'printer offline', description: 'x', status: 'closed' },
      { ticket_id: 'L-3', subject: 'printer smoking', description: 'open one' },
    );
    await run(orm, 'tickets', 'lex', json);
    await run(orm, 'kb', 'lex', ndjson({ article_id: 'K', title: 'Printers', body: 'How to clear a jam' }));
    const lexemes = await t.query<{ corpus: string; lexeme: string; ndoc: number }>(
      `select corpus, lexeme, ndoc from search_lexemes where tenant_id = 'lex' and lexeme in ('printer', 'jam', 'smoke')
        order by 1, 2`,
    );
    expect(lexemes).toEqual([
      { corpus: 'kb', lexeme: 'jam', ndoc: 1 },
      { corpus: 'kb', lexeme: 'printer', ndoc: 1 },
      { corpus: 'tickets', lexeme: 'jam', ndoc: 1 },
      { corpus: 'tickets', lexeme: 'printer', ndoc: 2 },
    ]);
  });

  it('when Postgres refuses a staged value, nothing is imported and the connection stays usable', async () => {
    // Validation never lets such a value through; written straight to the target to see the path.
    const target = new PgImportTarget(orm.em.getKnex());
    const session = await target.begin('assets', 'refused');
    await session.write(1, {
      network: '10.7.0.1',
      hostname: 'ok',
      owner: null,
      role: null,
      location: null,
      notes: null,
    });
    await session.write(2, {
      network: 'not-an-inet',
      hostname: 'x',
      owner: null,
      role: null,
      location: null,
      notes: null,
    });
    await expect(session.commit()).rejects.toThrow(/invalid input syntax for type inet/);
    expect(await t.query(`select * from ip_assets where tenant_id = 'refused'`)).toEqual([]);
    expect(await run(orm, 'assets', 'refused', '{"network":"10.7.0.1","hostname":"ok"}')).toMatchObject({
      inserted: 1,
    });
  });

  it('refuses a second import of the same kind for the same tenant while one is running', async () => {
    const second = await openOrm({ databaseUrl: t.databaseUrl, poolMax: 1 });
    const held = deferred();
    const reading = deferred();
    // A source that stays open keeps the first import's transaction (and its lock) alive. It is read
    // only once the transaction is open, so `reading` means "the lock is taken".
    const source = Readable.from(
      (async function* () {
        yield Buffer.from(`${JSON.stringify({ ticket_id: 'C-1', subject: 's', description: 'd' })}\n`);
        reading.resolve();
        await held.promise;
      })(),
    );
    const first = importRows(orm, {
      kind: 'tickets',
      tenantId: 'busy',
      format: 'ndjson',
      source,
      label: 'a',
    });
    try {
      await reading.promise;
      await expect(
        run(second, 'tickets', 'busy', '{"ticket_id":"C-2","subject":"s","description":"d"}'),
      ).rejects.toThrow(/another tickets import for tenant "busy" is running/);
      expect(await run(second, 'kb', 'busy', '{"article_id":"K","title":"t","body":"b"}')).toMatchObject({
        inserted: 1,
      });
      held.resolve();
      expect(await first).toMatchObject({ inserted: 1 });
    } finally {
      // Whatever failed above, the first import must end: it holds the only pooled connection.
      held.resolve();
      await first.catch(() => undefined);
      await second.close(true);
    }
  });

  it("runs under the migration bound, not a job's: a large file's one upsert outlasts a job's statement", async () => {
    const bounds = { ...DEFAULTS.db, statementTimeoutMs: 100, migrationTimeoutMs: 5_000 };
    const importOrm = await openImportOrm(t.databaseUrl, bounds);
    try {
      await expect(importOrm.em.getKnex().raw('select pg_sleep(0.3)')).resolves.toBeDefined();
    } finally {
      await importOrm.close(true);
    }
    const jobOrm = await openOrm({ databaseUrl: t.databaseUrl, poolMax: 1, bounds });
    try {
      await expect(jobOrm.em.getKnex().raw('select pg_sleep(0.3)')).rejects.toThrow(/statement timeout/);
    } finally {
      await jobOrm.close(true);
    }
  });
});
