import { mapTicket } from '../../../src/ingest/mapping.js';

describe('mapTicket', () => {
  it('maps the ServiceDesk Plus request shape: id → ticket_id, subject and description joined', () => {
    const r = mapTicket({
      request: {
        id: 4711,
        subject: 'Printer on fire',
        description: '<p>Floor 3</p>',
        priority: { name: 'High', id: '2' },
        requester: { name: 'Ann' },
      },
    });
    expect(r).toEqual({
      ok: true,
      ticket: { ticket_id: '4711', description: 'Printer on fire\n\n<p>Floor 3</p>', priority: 'high' },
    });
  });

  it('maps the flat shape', () => {
    expect(mapTicket({ ticket_id: 'T-9', description: 'VPN down', priority: 'critical' })).toEqual({
      ok: true,
      ticket: { ticket_id: 'T-9', description: 'VPN down', priority: 'critical' },
    });
  });

  it.each([
    ['Low', 'low'],
    ['normal', 'medium'],
    ['Medium', 'medium'],
    [' HIGH ', 'high'],
    ['Urgent', 'critical'],
    ['critical', 'critical'],
  ])('maps the priority name %j to %s', (name, priority) => {
    const r = mapTicket({ request: { id: '1', priority: { name } } });
    expect(r).toMatchObject({ ok: true, ticket: { priority } });
    expect(r).not.toHaveProperty('unknownPriority');
  });

  it('takes a missing or null priority as medium, and an unknown name as medium, reporting it', () => {
    expect(mapTicket({ ticket_id: 'a' })).toEqual({
      ok: true,
      ticket: { ticket_id: 'a', description: '', priority: 'medium' },
    });
    expect(mapTicket({ request: { id: 'a', priority: null } })).toMatchObject({
      ticket: { priority: 'medium' },
    });
    expect(mapTicket({ request: { id: 'a', priority: { name: 'P1 - Board' } } })).toEqual({
      ok: true,
      ticket: { ticket_id: 'a', description: '', priority: 'medium' },
      unknownPriority: 'P1 - Board',
    });
  });

  it('keeps subject or description alone when the other is missing', () => {
    expect(mapTicket({ request: { id: 'a', subject: 'only subject' } })).toMatchObject({
      ticket: { description: 'only subject' },
    });
    expect(mapTicket({ request: { id: 'a', description: 'only body', subject: null } })).toMatchObject({
      ticket: { description: 'only body' },
    });
  });

  it.each([
    [[], 'body'],
    ['text', 'body'],
    [{ request: 'x' }, 'request'],
    [{ request: {} }, 'request.id'],
    [{ request: { id: '' } }, 'request.id'],
    [{ request: { id: 1.5 } }, 'request.id'],
    [{ request: { id: 'a'.repeat(129) } }, 'request.id'],
    [{ request: { id: 'a', subject: 7 } }, 'request.subject'],
    [{ request: { id: 'a', description: {} } }, 'request.description'],
    [{ request: { id: 'a', priority: 3 } }, 'request.priority'],
    [{ request: { id: 'a', priority: { name: 3 } } }, 'request.priority'],
    [{ description: 'no id' }, 'ticket_id'],
    [{ ticket_id: true }, 'ticket_id'],
    [{ ticket_id: 'a', description: 5 }, 'description'],
    [{ ticket_id: 'a', description: 'x'.repeat(64 * 1024 + 1) }, 'description'],
    [{ request: { id: 'a', description: 'x'.repeat(64 * 1024), subject: 's' } }, 'request.description'],
  ])('refuses %j naming the field %s', (body, field) => {
    expect(mapTicket(body)).toMatchObject({ ok: false, field });
  });
});
