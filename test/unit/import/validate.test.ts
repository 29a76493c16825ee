import { KINDS } from '../../../src/import/kinds.js';
import { headerProblem, tenantProblem, validateRecord } from '../../../src/import/validate.js';

const ndjson = { tenantId: 'acme', format: 'ndjson' } as const;
const csv = { tenantId: 'acme', format: 'csv' } as const;
const ticket = { ticket_id: 'T-1', subject: 'VPN drops', description: 'Every hour' };
const article = { article_id: 'KB-1', title: 'Reset a password', body: 'Open the portal' };
const asset = { network: '10.0.4.17', hostname: 'web-01.corp' };

describe('validateRecord: tickets', () => {
  it('fills what was not given: null, and the status from the resolution', () => {
    expect(validateRecord(KINDS.tickets, ticket, ndjson)).toEqual({
      ok: true,
      row: {
        ...ticket,
        resolution: null,
        status: 'open',
        category: null,
        created_at: null,
        resolved_at: null,
      },
    });
    const resolved = validateRecord(KINDS.tickets, { ...ticket, resolution: 'Replaced the cable' }, ndjson);
    expect(resolved).toMatchObject({ ok: true, row: { status: 'resolved' } });
  });

  it('lower-cases and trims the status; a given status wins over the default', () => {
    const r = validateRecord(KINDS.tickets, { ...ticket, resolution: 'x', status: ' Closed ' }, ndjson);
    expect(r).toMatchObject({ ok: true, row: { status: 'closed' } });
  });

  it('takes a whole number as an id, and null or "" as not given', () => {
    const r = validateRecord(
      KINDS.tickets,
      { ...ticket, ticket_id: 4711, category: '', resolution: null },
      ndjson,
    );
    expect(r).toMatchObject({ ok: true, row: { ticket_id: '4711', category: null, resolution: null } });
  });

  it('allows an empty description (required, may be empty)', () => {
    expect(validateRecord(KINDS.tickets, { ...ticket, description: '' }, ndjson)).toMatchObject({ ok: true });
  });

  it.each([
    ['no id', { subject: 'x', description: 'y' }, 'ticket_id', 'required'],
    ['an empty id', { ...ticket, ticket_id: '' }, 'ticket_id', 'must not be empty'],
    [
      'a 129-character id',
      { ...ticket, ticket_id: 'x'.repeat(129) },
      'ticket_id',
      'longer than 128 characters',
    ],
    ['a fractional id', { ...ticket, ticket_id: 1.5 }, 'ticket_id', 'expected a string, got a number'],
    ['no subject', { ...ticket, subject: undefined }, 'subject', 'required'],
    ['a list as subject', { ...ticket, subject: ['a'] }, 'subject', 'expected a string, got an array'],
    [
      '64 KiB + 1 of description',
      { ...ticket, description: 'x'.repeat(64 * 1024 + 1) },
      'description',
      'longer than 64 KiB of UTF-8',
    ],
    [
      '64 KiB + 2 bytes of resolution in 2-byte characters',
      { ...ticket, resolution: 'é'.repeat(32 * 1024 + 1) },
      'resolution',
      'longer than 64 KiB of UTF-8',
    ],
    [
      'a NUL',
      { ...ticket, subject: 'a\u0000b' },
      'subject',
      'contains a NUL character, which Postgres text cannot store',
    ],
    ['a 33-character status', { ...ticket, status: 'x'.repeat(33) }, 'status', 'longer than 32 characters'],
    [
      'a time without zone',
      { ...ticket, created_at: '2024-05-01T10:00:00' },
      'created_at',
      '"2024-05-01T10:00:00" has no time zone: add Z or an offset such as +02:00',
    ],
    [
      'a date in words',
      { ...ticket, resolved_at: 'soon' },
      'resolved_at',
      '"soon" is not an ISO 8601 date or date-time (2024-05-01, 2024-05-01T09:30:00Z)',
    ],
  ])('refuses %s', (_name, record, field, reason) => {
    expect(validateRecord(KINDS.tickets, record, ndjson)).toEqual({ ok: false, field, reason });
  });

  it('refuses an unknown field by name, suggesting the closest, before anything else', () => {
    const { ticket_id, description } = ticket;
    const r = validateRecord(KINDS.tickets, { ticket_id, subjct: 'VPN', description }, ndjson);
    expect(r).toEqual({
      ok: false,
      field: 'subjct',
      reason: expect.stringMatching(
        /^unknown field \(did you mean subject\?\); tickets fields are ticket_id, /,
      ),
    });
    const far = validateRecord(KINDS.tickets, { ...ticket, priority: 'high' }, ndjson);
    expect(far).toMatchObject({
      ok: false,
      field: 'priority',
      reason: expect.stringMatching(/^unknown field;/),
    });
  });
});

describe('validateRecord: tenant_id in the file', () => {
  it('may say the tenant being imported, and is dropped from the row', () => {
    const r = validateRecord(KINDS.tickets, { ...ticket, tenant_id: 'acme' }, ndjson);
    expect(r.ok && r.row).not.toHaveProperty('tenant_id');
  });

  it('may not name another tenant', () => {
    expect(validateRecord(KINDS.tickets, { ...ticket, tenant_id: 'globex' }, ndjson)).toEqual({
      ok: false,
      field: 'tenant_id',
      reason: 'is "globex", but the import is for tenant "acme"',
    });
  });
});

describe('validateRecord: kb', () => {
  it('takes tags as a JSON list in NDJSON and as a ;-separated cell in CSV', () => {
    const json = validateRecord(KINDS.kb, { ...article, tags: ['vpn', 'network'] }, ndjson);
    expect(json).toMatchObject({ ok: true, row: { tags: ['vpn', 'network'], url: null } });
    const cell = validateRecord(KINDS.kb, { ...article, tags: ' vpn ; network;;' }, csv);
    expect(cell).toMatchObject({ ok: true, row: { tags: ['vpn', 'network'] } });
    const none = validateRecord(KINDS.kb, { ...article, tags: '' }, csv);
    expect(none).toMatchObject({ ok: true, row: { tags: [] } });
    expect(validateRecord(KINDS.kb, article, ndjson)).toMatchObject({ ok: true, row: { tags: [] } });
  });

  it.each([
    ['tags as a string in NDJSON', { ...article, tags: 'vpn;network' }, 'tags', 'expected a list of strings'],
    ['a number as a tag', { ...article, tags: ['vpn', 3] }, 'tags[1]', 'expected a string, got a number'],
    [
      'a tag holding ";"',
      { ...article, tags: ['a;b'] },
      'tags[0]',
      'contains ";", which separates tags in CSV',
    ],
    ['an ftp URL', { ...article, url: 'ftp://files/kb1' }, 'url', 'not an absolute http(s) URL'],
    ['a relative URL', { ...article, url: 'kb/1' }, 'url', 'not an absolute http(s) URL'],
    ['an empty title', { ...article, title: '' }, 'title', 'must not be empty'],
  ])('refuses %s', (_name, record, field, reason) => {
    expect(validateRecord(KINDS.kb, record, ndjson)).toEqual({ ok: false, field, reason });
  });
});

describe('validateRecord: assets', () => {
  it.each(['10.0.4.17', '10.0.4.0/24', '2001:db8::/48', '::1'])('accepts the network %s', (network) => {
    expect(validateRecord(KINDS.assets, { ...asset, network }, ndjson)).toMatchObject({
      ok: true,
      row: { network, hostname: 'web-01.corp', owner: null, notes: null },
    });
  });

  it.each([
    ['999.1.1.1', '"999.1.1.1" is not an IPv4 or IPv6 address'],
    ['1.2.3.4.5', '"1.2.3.4.5" is not an IPv4 or IPv6 address'],
    ['10.0.0.0/33', 'prefix /33 is outside 0–32 for IPv4'],
  ])('refuses the network %s', (network, reason) => {
    expect(validateRecord(KINDS.assets, { ...asset, network }, ndjson)).toEqual({
      ok: false,
      field: 'network',
      reason,
    });
  });

  it('refuses a bad hostname and a missing one', () => {
    expect(validateRecord(KINDS.assets, { ...asset, hostname: 'web..corp' }, csv)).toMatchObject({
      ok: false,
      field: 'hostname',
    });
    expect(validateRecord(KINDS.assets, { network: '10.0.0.1', hostname: '' }, csv)).toEqual({
      ok: false,
      field: 'hostname',
      reason: 'must not be empty',
    });
  });
});

describe('headerProblem', () => {
  it('accepts the required columns in any order, plus optional ones and tenant_id', () => {
    expect(headerProblem(KINDS.tickets, ['description', 'subject', 'ticket_id'])).toBeUndefined();
    expect(headerProblem(KINDS.assets, ['tenant_id', 'hostname', 'network', 'notes'])).toBeUndefined();
  });

  it.each([
    [
      ['ticket_id', 'subjct', 'description'],
      /^unknown column "subjct" \(did you mean subject\?\); tickets columns are /,
    ],
    [['ticket_id', 'subject', 'description', 'subject'], /^column "subject" appears twice$/],
    [['ticket_id', 'description'], /^missing required column subject$/],
    [['ticket_id'], /^missing required columns subject, description$/],
  ])('refuses %j', (names, reason) => {
    expect(headerProblem(KINDS.tickets, names)).toMatch(reason);
  });
});

describe('tenantProblem', () => {
  it('takes 1–64 characters, as the job contract', () => {
    expect(tenantProblem('acme')).toBeUndefined();
    expect(tenantProblem('')).toBe('must not be empty');
    expect(tenantProblem('x'.repeat(65))).toBe('longer than 64 characters');
  });
});
