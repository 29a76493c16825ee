import { z } from 'zod';
import { accepted, refusal, unwrap } from '../../../src/lib/schema-words.js';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);

describe('accepted', () => {
  it.each<[z.ZodType, string]>([
    [int(1, 1000).default(8), 'a whole number from 1 to 1000'],
    [int(0).default(0), 'a whole number of at least 0'],
    [z.coerce.number().min(0).max(1), 'a number from 0 to 1'],
    [z.coerce.number().positive().max(10), 'a number above 0 and at most 10'],
    [z.enum(['json', 'pretty']).default('json'), 'one of json, pretty'],
    [z.string().url(), 'a URL'],
    [z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).optional(), 'an http(s) URL'],
    [z.string().regex(/^[a-z]+$/, 'lower-case letters'), 'lower-case letters'],
    [z.string().min(1).max(200), 'text of 1 to 200 characters'],
    [z.uuid().transform((s) => s.toLowerCase()), 'a UUID'],
  ])('%#: %s', (schema, words) => {
    expect(accepted(schema)).toBe(words);
  });
});

describe('unwrap', () => {
  it('finds the default under optional and default wrappers', () => {
    expect(unwrap(int(1).default(5))).toMatchObject({ default: 5, optional: true });
    expect(unwrap(z.string().optional())).toEqual({ inner: expect.anything(), optional: true });
  });
});

describe('refusal', () => {
  const schema = int(1, 1000);
  it('says what is accepted and what was given', () => {
    expect(refusal('WORKER_CONCURRENCY', schema, 'abc', 'Invalid input: expected number, received NaN')).toBe(
      'WORKER_CONCURRENCY must be a whole number from 1 to 1000, got "abc"',
    );
  });
  it('says "is required" for a missing value', () => {
    expect(refusal('--tenant-id', z.string(), undefined, 'Invalid input')).toBe('--tenant-id is required');
  });
  it('never repeats a secret value', () => {
    expect(refusal('LLM_API_KEY', z.string().min(5), 'sk', 'too small', true)).toBe(
      'LLM_API_KEY must be text of at least 5 characters',
    );
  });
});
