/**
 * The checks behind an asset's `network` and `hostname`. Each returns the reason a value is refused,
 * or undefined when it is fine, so the zod schema can report it line by line.
 */
import { isIP } from 'node:net';
import { show } from './issues.js';

/** Longest host name DNS can carry (RFC 1035), which is also the column's width. */
export const MAX_HOSTNAME_CHARS = 253;

const PREFIX = /^(0|[1-9][0-9]{0,2})$/;
const LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

/**
 * An address or a range, as Postgres `inet` takes it: `10.0.4.17`, `10.0.4.0/24`, `2001:db8::/48`.
 * node:net decides what an address is (no leading zeros, no five-part IPv4), then the prefix must fit
 * the family. Host bits under the prefix are allowed, as inet allows them (`10.0.4.17/24` is a host
 * on a /24). Zone ids (`fe80::1%eth0`) are refused: inet cannot store them.
 */
export function networkProblem(value: string): string | undefined {
  const slash = value.indexOf('/');
  const address = slash === -1 ? value : value.slice(0, slash);
  if (address.includes('%')) return 'an IPv6 zone id (%…) cannot be stored';
  const family = isIP(address);
  if (family === 0) return `${show(address)} is not an IPv4 or IPv6 address`;
  if (slash === -1) return undefined;
  const prefix = value.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  if (!PREFIX.test(prefix) || Number(prefix) > max) {
    return `prefix /${prefix.slice(0, 8)} is outside 0–${max} for IPv${family}`;
  }
  return undefined;
}

/**
 * A DNS name: dot-separated labels of letters, digits, `-` and `_` (inventories hold Windows names
 * with underscores), 1–63 characters each, not starting or ending with `-`, at most 253 in all. An
 * IP address is refused here: it belongs in `network`, and swapped columns are a likely mistake.
 */
export function hostnameProblem(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty';
  if (value.length > MAX_HOSTNAME_CHARS) return `longer than ${MAX_HOSTNAME_CHARS} characters`;
  if (isIP(value) !== 0) return 'is an IP address; it belongs in network';
  if (value.endsWith('.')) return 'has a trailing dot';
  for (const label of value.split('.')) {
    if (!LABEL.test(label)) {
      return label === ''
        ? 'has an empty label (two dots in a row, or a leading dot)'
        : `label ${show(label)} is not 1–63 letters, digits, "-" or "_" (not starting or ending with "-")`;
    }
  }
  return undefined;
}
