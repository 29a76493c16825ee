/**
 * Deterministic import files for the benchmark: tickets with a helpdesk's lengths (subject ~60
 * characters, description ~400, resolution ~200), kb articles and IP assets. Words come from a small
 * vocabulary with a skewed frequency, as in real text, so tsvectors and lexeme counts look real.
 */
import { Readable } from 'node:stream';
import type { ImportFormat } from '../../src/import/format.js';
import type { ImportKind } from '../../src/import/kinds.js';

const WORDS = (
  'printer vpn email outlook password reset account locked laptop screen monitor keyboard mouse network ' +
  'wifi connection slow error crash update install license software hardware server database backup ' +
  'restore disk full memory cpu login access denied permission share drive folder file missing sync ' +
  'phone mobile teams meeting calendar invite camera microphone audio driver firmware certificate ' +
  'expired browser chrome firefox proxy firewall port dns dhcp address conflict cable switch router ' +
  'ticket user users manager office floor building remote home token mfa authenticator app portal ' +
  'invoice payroll sap erp crm report export import excel word pdf scanner scan toner paper jam ' +
  'queue spooler service restart reboot rollback patch windows linux mac ios android citrix vdi ' +
  'session timeout freeze blue screen kernel battery charger dock usb bluetooth headset'
).split(' ');

/** A small linear congruential generator: the same seed gives the same file. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 2 ** 32;
  };
}

function words(rnd: () => number, chars: number): string {
  const out: string[] = [];
  let length = 0;
  while (length < chars) {
    // Squaring skews towards the start of the list: a few words are common, most are rare.
    const word = WORDS[Math.floor(rnd() ** 2 * WORDS.length)]!;
    out.push(word);
    length += word.length + 1;
  }
  return out.join(' ');
}

/** Record `i` (1-based) of `kind`, as an object with the file's field names. */
export function sampleRecord(kind: ImportKind, i: number, seed = 1): Record<string, unknown> {
  const rnd = random(seed * 1_000_003 + i);
  switch (kind) {
    case 'tickets': {
      const resolved = rnd() < 0.8;
      return {
        ticket_id: `T-${i}`,
        subject: words(rnd, 60),
        description: words(rnd, 400),
        ...(resolved ? { resolution: words(rnd, 200) } : {}),
        category: WORDS[Math.floor(rnd() * 12)],
        created_at: new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString(),
      };
    }
    case 'kb':
      return {
        article_id: `KB-${i}`,
        title: words(rnd, 50),
        body: words(rnd, 1500),
        url: `https://kb.example.com/articles/${i}`,
        tags: [WORDS[i % WORDS.length]!, WORDS[(i * 7) % WORDS.length]!],
      };
    case 'assets':
      return {
        network:
          i % 10 === 0
            ? `10.${(i >> 16) & 255}.${(i >> 8) & 255}.0/24`
            : `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        hostname: `host-${i}.corp.example.com`,
        owner: `team-${i % 40}`,
        role: WORDS[i % WORDS.length],
        location: `building ${i % 7}`,
      };
  }
}

function csvCell(value: unknown): string {
  const text = Array.isArray(value) ? value.join(';') : typeof value === 'string' ? value : '';
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** `rows` records as an NDJSON or CSV stream, generated as it is read (no file, flat memory). */
export function sampleSource(kind: ImportKind, format: ImportFormat, rows: number, seed = 1): Readable {
  const fields = Object.keys(sampleRecord(kind, 1, seed)).concat(kind === 'tickets' ? ['resolution'] : []);
  const header = [...new Set(fields)];
  function* lines(): Generator<string> {
    const batch: string[] = format === 'csv' ? [header.join(',')] : [];
    for (let i = 1; i <= rows; i++) {
      const record = sampleRecord(kind, i, seed);
      batch.push(format === 'csv' ? header.map((f) => csvCell(record[f])).join(',') : JSON.stringify(record));
      if (batch.length >= 500) {
        yield `${batch.join('\n')}\n`;
        batch.length = 0;
      }
    }
    if (batch.length) yield `${batch.join('\n')}\n`;
  }
  return Readable.from(lines(), { objectMode: false });
}
