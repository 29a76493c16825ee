import {
  MAX_ADDRESSES,
  extractAddresses,
  hostnameCandidates,
} from '../../../../src/pipeline/context/addresses.js';

describe('extractAddresses', () => {
  it.each([
    ['10.0.4.17', ['10.0.4.17']],
    ['host 10.0.4.17.', ['10.0.4.17']],
    ['(10.0.4.17), [10.0.4.18]; 10.0.4.19:', ['10.0.4.17', '10.0.4.18', '10.0.4.19']],
    ['net 10.0.4.0/24 and 192.168.0.0/16', ['10.0.4.0/24', '192.168.0.0/16']],
    ['2001:db8::5 and 2001:DB8::/48', ['2001:db8::5', '2001:db8::/48']],
    ['fe80::1 ::1', ['fe80::1', '::1']],
    ['::ffff:10.0.4.17', ['::ffff:10.0.4.17']],
    ['web at 10.0.4.17:8080', ['10.0.4.17']],
    ['IP:10.0.4.17 addr=10.0.4.18', ['10.0.4.17', '10.0.4.18']],
    ['[2001:db8::1]:443', ['2001:db8::1']],
    ['10.0.4.17 again 10.0.4.17', ['10.0.4.17']],
  ])('finds the addresses in %j', (text, expected) => {
    expect(extractAddresses(text)).toEqual(expected);
  });

  it.each([
    ['999.1.1.1'],
    ['version 1.2.3.4.5'],
    ['v1.2.3.4'],
    ['10.0.4.0/33'],
    ['2001:db8::/129'],
    ['10.0.4.0/x'],
    ['fe80::1%eth0'],
    ['1.2.3'],
    ['12:30 meeting'],
    ['deadbeef'],
    ['server1.2.3.4'],
    ['10.0.4.17:99999999'],
  ])('ignores %j', (text) => {
    expect(extractAddresses(text)).toEqual([]);
  });

  it(`stops at ${MAX_ADDRESSES}`, () => {
    const text = Array.from({ length: 100 }, (_, i) => `10.0.0.${i}`).join(' ');
    expect(extractAddresses(text)).toHaveLength(MAX_ADDRESSES);
  });
});

describe('hostnameCandidates', () => {
  it('gives whole names and their first label, lower-cased', () => {
    expect(hostnameCandidates('Ping DB-PROD-3.acme.local and mail.')).toEqual([
      'ping',
      'db-prod-3.acme.local',
      'db-prod-3',
      'and',
      'mail',
    ]);
  });

  it('leaves out addresses, numbers and words with characters no hostname has', () => {
    expect(hostnameCandidates('10.0.4.17 42 c++ under_score -lead trail- ü')).toEqual([]);
  });

  it('stops at the limit', () => {
    expect(hostnameCandidates('a1 b1 c1 d1', 2)).toEqual(['a1', 'b1']);
  });
});
