import { timestampProblem } from '../../../src/import/fields.js';
import { KINDS } from '../../../src/import/kinds.js';

describe('timestampProblem', () => {
  it.each([
    '2024-05-01',
    '2024-05-01T09:30:00Z',
    '2024-05-01T09:30Z',
    '2024-05-01 09:30:00+02:00',
    '2024-05-01T09:30:00.123456-0530',
    '2024-05-01T09:30:00+02',
    '2024-02-29T00:00:00Z',
  ])('accepts %s', (value) => {
    expect(timestampProblem(value)).toBeUndefined();
  });

  it.each([
    ['2024-05-01T09:30:00', /has no time zone/],
    ['2023-02-29', /not a calendar date/],
    ['2024-04-31T00:00:00Z', /not a calendar date/],
    ['2024-13-01', /not a calendar date/],
    ['0000-01-01', /not a calendar date/],
    ['2024-05-01T24:00:00Z', /not a time of day/],
    ['2024-05-01T09:60:00Z', /not a time of day/],
    ['2024-05-01T09:30:00+16:00', /offset outside/],
    ['01/05/2024', /not an ISO 8601 date/],
    ['yesterday', /not an ISO 8601 date/],
    ['2024-05-01T09:30:00z', /not an ISO 8601 date/],
  ])('refuses %j', (value, reason) => {
    expect(timestampProblem(value)).toMatch(reason);
  });

  it('stores a bare date as midnight UTC, and a date-time as given', () => {
    const parse = (created_at: string) =>
      KINDS.tickets.schema.parse({ ticket_id: 'T', subject: 's', description: '', created_at });
    expect(parse('2024-05-01').created_at).toBe('2024-05-01T00:00:00Z');
    expect(parse('2024-05-01T09:30:00+02:00').created_at).toBe('2024-05-01T09:30:00+02:00');
  });
});
