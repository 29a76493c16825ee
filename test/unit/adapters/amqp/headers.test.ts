import { H, carriedHeaders, clip, intHeader, stringHeader } from '../../../../src/adapters/amqp/headers.js';

describe('intHeader', () => {
  it.each([
    [7, 7],
    [0, 0],
    ['12', 12],
    [9n, 9],
    [-1, undefined],
    [1.5, undefined],
    ['x', undefined],
    [true, undefined],
    [undefined, undefined],
  ])('reads %p as %p', (value, expected) => {
    expect(intHeader({ n: value }, 'n')).toBe(expected);
  });

  it('is undefined without headers', () => {
    expect(intHeader(undefined, 'n')).toBeUndefined();
  });
});

describe('stringHeader', () => {
  it('reads strings and Buffers, nothing else', () => {
    expect(stringHeader({ s: 'abc' }, 's')).toBe('abc');
    expect(stringHeader({ s: Buffer.from('é') }, 's')).toBe('é');
    expect(stringHeader({ s: 5 }, 's')).toBeUndefined();
    expect(stringHeader(undefined, 's')).toBeUndefined();
  });
});

describe('carriedHeaders', () => {
  it('drops the broker per-hop headers and keeps ours', () => {
    const headers = {
      'x-death': [{ count: 1 }],
      'x-first-death-exchange': 'e',
      'x-first-death-queue': 'q',
      'x-first-death-reason': 'expired',
      'x-last-death-exchange': 'e',
      'x-last-death-queue': 'q',
      'x-last-death-reason': 'expired',
      [H.deliveryCount]: 3,
      [H.attempt]: 2,
      [H.redeliveries]: 1,
      'x-custom': 'kept',
    };
    expect(carriedHeaders(headers)).toEqual({ [H.attempt]: 2, [H.redeliveries]: 1, 'x-custom': 'kept' });
  });

  it('gives an empty table for no headers', () => {
    expect(carriedHeaders(undefined)).toEqual({});
  });
});

describe('clip', () => {
  it('keeps a string of the limit as it is', () => {
    expect(clip('a'.repeat(1024))).toBe('a'.repeat(1024));
  });

  it('cuts a longer one to the limit, ending with an ellipsis', () => {
    const clipped = clip('a'.repeat(2000));
    expect(clipped).toHaveLength(1024);
    expect(clipped.endsWith('a…')).toBe(true);
    expect(clip('abcdef', 4)).toBe('abc…');
  });
});
