import { hostnameProblem, networkProblem } from '../../../src/import/network.js';

describe('networkProblem', () => {
  it.each([
    '10.0.4.17',
    '10.0.4.0/24',
    '10.0.4.17/24',
    '0.0.0.0/0',
    '255.255.255.255/32',
    '2001:db8::/48',
    '2001:DB8::1',
    '::1',
    '::/0',
    '::ffff:10.0.0.1',
    'fe80::1/128',
  ])('accepts %s', (value) => {
    expect(networkProblem(value)).toBeUndefined();
  });

  it.each([
    ['999.1.1.1', /not an IPv4 or IPv6 address/],
    ['1.2.3.4.5', /not an IPv4 or IPv6 address/],
    ['10.0.0.0/33', /prefix \/33 is outside 0–32 for IPv4/],
    ['2001:db8::/129', /prefix \/129 is outside 0–128 for IPv6/],
    ['10.0.0.0/-1', /prefix/],
    ['10.0.0.0/', /prefix/],
    ['10.0.0.0/08', /prefix/],
    ['10.0.0.0/24/1', /prefix/],
    ['010.0.0.1', /not an IPv4 or IPv6 address/],
    ['10.0.4', /not an IPv4 or IPv6 address/],
    ['host.example.com', /not an IPv4 or IPv6 address/],
    [' 10.0.0.1', /not an IPv4 or IPv6 address/],
    ['fe80::1%eth0', /zone id/],
    ['', /not an IPv4 or IPv6 address/],
  ])('refuses %j', (value, reason) => {
    expect(networkProblem(value)).toMatch(reason);
  });
});

describe('hostnameProblem', () => {
  it.each([
    'web-01',
    'web-01.corp.example.com',
    'WEB01.Example.COM',
    'srv_files.corp',
    'a',
    `${'a'.repeat(63)}.com`,
    `${'abcdefghi.'.repeat(25)}com`,
  ])('accepts %s', (value) => {
    expect(hostnameProblem(value)).toBeUndefined();
  });

  it.each([
    ['', /must not be empty/],
    ['-web.example.com', /label "-web"/],
    ['web-.example.com', /label "web-"/],
    ['web..example.com', /empty label/],
    ['.example.com', /empty label/],
    ['example.com.', /trailing dot/],
    ['web 01', /label "web 01"/],
    ['münchen.example', /label "münchen"/],
    [`${'a'.repeat(64)}.com`, /label/],
    [`${'abcdefghi.'.repeat(25)}comx`, /longer than 253 characters/],
    ['10.0.0.1', /is an IP address; it belongs in network/],
    ['2001:db8::1', /is an IP address/],
  ])('refuses %j', (value, reason) => {
    expect(hostnameProblem(value)).toMatch(reason);
  });
});
