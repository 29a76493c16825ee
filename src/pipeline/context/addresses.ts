import { isIP } from 'node:net';

/** Addresses and hostnames looked up per ticket, at most: a pasted log must not become a huge query. */
export const MAX_ADDRESSES = 32;
export const MAX_HOSTNAMES = 256;

/** Characters that end a token: blanks, brackets, quotes and the punctuation around addresses in prose. */
const DELIMITERS = /[\s,;()[\]{}<>"'`|=!?*]+/;
const LABEL = /^[A-Za-z]{1,16}:(.+)$/;
const IPV4_PORT = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/;
const HOST_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Every IPv4/IPv6 address or CIDR range written in `text`, as Postgres `inet` input, each once, in
 * order of appearance. Checked by `node:net`, never by a loose pattern: `999.1.1.1` and version strings
 * such as `1.2.3.4.5` are not addresses. Accepts `10.0.4.17`, `10.0.4.0/24`, `2001:db8::/48`,
 * `10.0.4.17:8080` (the port is dropped) and `IP:10.0.4.17`; refuses zone ids (`fe80::1%eth0`).
 */
export function extractAddresses(text: string, max = MAX_ADDRESSES): string[] {
  const found = new Set<string>();
  for (const raw of tokens(text)) {
    const literal = asAddress(raw);
    if (literal) found.add(literal);
    if (found.size >= max) break;
  }
  return [...found];
}

/**
 * Words of `text` that could be a hostname, lower-cased, each once: whole names
 * (`db-prod-3.acme.local`) and their first label (`db-prod-3`), so either spelling finds the asset.
 */
export function hostnameCandidates(text: string, max = MAX_HOSTNAMES): string[] {
  const found = new Set<string>();
  for (const raw of tokens(text)) {
    const name = raw.toLowerCase().replace(/\.+$/, '');
    if (name.length === 0 || name.length > 253 || !/[a-z]/.test(name) || isIP(name) !== 0) continue;
    const labels = name.split('.');
    if (!labels.every((l) => HOST_LABEL.test(l))) continue;
    found.add(name);
    if (labels.length > 1 && /[a-z]/.test(labels[0]!)) found.add(labels[0]!);
    if (found.size >= max) break;
  }
  return [...found].slice(0, max);
}

function* tokens(text: string): Generator<string> {
  for (const token of text.split(DELIMITERS)) {
    // A sentence's full stop or a trailing colon is punctuation, not part of the address.
    const t = token.replace(/\.+$/, '').replace(/(?<!:):$/, '');
    if (t.length > 0 && t.length <= 260) yield t;
  }
}

function asAddress(token: string): string | undefined {
  const direct = literal(token);
  if (direct) return direct;
  const labelled = LABEL.exec(token)?.[1];
  return labelled ? literal(labelled) : undefined;
}

function literal(token: string): string | undefined {
  if (!/[.:]/.test(token) || token.includes('%')) return undefined;
  const withPort = IPV4_PORT.exec(token);
  if (withPort) return isIP(withPort[1]!) === 4 ? withPort[1] : undefined;
  const slash = token.indexOf('/');
  const address = slash < 0 ? token : token.slice(0, slash);
  const version = isIP(address);
  if (version === 0) return undefined;
  if (slash < 0) return address.toLowerCase();
  const prefix = token.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefix)) return undefined;
  const bits = Number(prefix);
  return bits <= (version === 4 ? 32 : 128) ? `${address.toLowerCase()}/${bits}` : undefined;
}
