/**
 * Deterministic sample data for the demo and the benchmark: past tickets in families (one fault of one
 * application), knowledge-base articles and an IP inventory for one tenant, plus new "query" tickets
 * whose related past tickets are known, so the search's recall can be measured. The same spec always
 * gives the same lines (a seeded PRNG, a fixed base date).
 */
import { Prng } from './prng.js';
import { SYLLABLES, TOPICS, type Topic } from './topics.js';

export interface SampleSpec {
  readonly tenant: string;
  /** 0, 1, …: keeps tenants' address ranges apart. */
  readonly tenantIndex: number;
  readonly tickets: number;
  readonly articles: number;
  readonly assets: number;
  readonly seed?: number;
}

export interface SampleTicket {
  readonly ticket_id: string;
  readonly subject: string;
  readonly description: string;
  readonly resolution: string | null;
  readonly status: 'resolved' | 'closed' | 'open';
  readonly category: string;
  readonly created_at: string;
  readonly resolved_at: string | null;
}

export interface SampleArticle {
  readonly article_id: string;
  readonly title: string;
  readonly body: string;
  readonly url: string;
  readonly tags: string[];
}

export interface SampleAsset {
  readonly network: string;
  readonly hostname: string;
  readonly owner: string;
  readonly role: string;
  readonly location: string;
  readonly notes: string | null;
}

/** A new ticket and the past tickets a good search should offer for it. */
export interface QueryTicket {
  readonly ticket_id: string;
  readonly description: string;
  /** Resolved tickets of the same family. */
  readonly related: readonly string[];
  /** The machine its text names, if any. */
  readonly asset?: { readonly address: string; readonly hostname: string };
}

interface Family {
  readonly index: number;
  readonly topic: Topic;
  readonly app: string;
  readonly product: string;
  readonly symptom: string;
  readonly module: string;
  readonly code: string;
  readonly size: number;
}

const BASE_DATE = Date.UTC(2025, 0, 6, 8, 0, 0);
const HOUR = 3_600_000;
const FILLER = [
  'since this morning',
  'for the whole team',
  'after the update',
  'again today',
  'on my laptop',
];
const OWNERS = ['Platform team', 'DBA team', 'Network team', 'Workplace IT', 'Messaging team', 'Security'];
const SITES = ['DC1 Frankfurt', 'DC2 Dublin', 'HQ floor 3', 'HQ floor 5', 'Branch Lyon'];
const MEAN_FAMILY = 5;

/** The families a spec's tickets fall into, in order: family i owns tickets [start, start + size). */
function families(spec: SampleSpec): Family[] {
  const rnd = new Prng(spec.seed ?? 7).fork(`families ${spec.tenant}`);
  const out: Family[] = [];
  let total = 0;
  for (let i = 0; total < spec.tickets; i++) {
    const topic = TOPICS[i % TOPICS.length]!;
    const size = Math.min(rnd.int(3, 2 * MEAN_FAMILY - 3), spec.tickets - total);
    out.push({
      index: i,
      topic,
      app: appName(i),
      product: rnd.pick(topic.products),
      symptom: rnd.pick(topic.symptoms),
      module: rnd.pick(topic.modules),
      code: `0x8${((i * 2654435761) >>> 4).toString(16).padStart(7, '0').slice(-7)}`,
      size,
    });
    total += size;
  }
  return out;
}

/** A made-up application name per family: distinct for the first 12^3 families, then by 4 syllables. */
function appName(i: number): string {
  let n = i;
  let name = '';
  for (let k = 0; k < (i < 1728 ? 3 : 4); k++) {
    name += SYLLABLES[n % SYLLABLES.length];
    n = Math.floor(n / SYLLABLES.length);
  }
  return name[0]!.toUpperCase() + name.slice(1);
}

/** A ticket's text about its family's fault: some of the family's specifics and the topic's words. */
function faultText(f: Family, rnd: Prng): { subject: string; description: string } {
  const specifics = rnd.some(
    [`error ${f.code}`, `in the ${f.app} app`, `the ${f.module}`, `${f.product} ${f.symptom}`],
    rnd.int(2, 4),
  );
  const words = rnd.some(f.topic.words, rnd.int(3, 5)).join(', ');
  const subject = rnd.next() < 0.6 ? `${f.app}: ${f.product} ${f.symptom}` : `${f.product} ${f.symptom}`;
  const description = `${capital(specifics.join(', '))} ${rnd.pick(FILLER)}. Mentions ${words}.`;
  return { subject, description };
}

export function* sampleTickets(spec: SampleSpec): Generator<SampleTicket> {
  const rnd = new Prng(spec.seed ?? 7).fork(`tickets ${spec.tenant}`);
  let n = 0;
  for (const f of families(spec)) {
    for (let k = 0; k < f.size; k++, n++) {
      const { subject, description } = faultText(f, rnd);
      const open = rnd.next() < 0.1;
      const created = BASE_DATE + n * HOUR;
      yield {
        ticket_id: ticketId(n),
        subject,
        description,
        resolution: open ? null : fill(rnd.pick(f.topic.fixes), f),
        status: open ? 'open' : rnd.next() < 0.5 ? 'resolved' : 'closed',
        category: f.topic.category,
        created_at: new Date(created).toISOString(),
        resolved_at: open ? null : new Date(created + rnd.int(1, 72) * HOUR).toISOString(),
      };
    }
  }
}

/** New tickets, one per chosen family, each with the ids of its family's resolved tickets. */
export function queryTickets(spec: SampleSpec, count: number): QueryTicket[] {
  const rnd = new Prng(spec.seed ?? 7).fork(`queries ${spec.tenant}`);
  const fams = families(spec);
  const resolved = resolvedByFamily(spec, fams);
  const picked = rnd.some(
    fams.filter((f) => (resolved.get(f.index)?.length ?? 0) > 0),
    count,
  );
  return picked.map((f, i) => {
    const { subject, description } = faultText(f, rnd);
    const host = spec.assets > 0 && rnd.next() < 0.5 ? hostAsset(spec, f.index % hostCount(spec)) : undefined;
    const where = host ? ` It happens on ${host.address}.` : '';
    return {
      ticket_id: `NEW-${spec.tenantIndex}-${i}`,
      description: `${subject}\n\n${description}${where}`,
      related: resolved.get(f.index)!,
      ...(host ? { asset: host } : {}),
    };
  });
}

function resolvedByFamily(spec: SampleSpec, fams: Family[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  let f = 0;
  let left = fams[0]?.size ?? 0;
  for (const t of sampleTickets(spec)) {
    while (left === 0) left = fams[++f]!.size;
    left--;
    if (t.status !== 'open') out.set(f, [...(out.get(f) ?? []), t.ticket_id]);
  }
  return out;
}

export function* sampleArticles(spec: SampleSpec): Generator<SampleArticle> {
  const rnd = new Prng(spec.seed ?? 7).fork(`articles ${spec.tenant}`);
  const fams = families(spec);
  for (let n = 0; n < spec.articles; n++) {
    const f = fams[Math.floor((n * fams.length) / Math.max(1, spec.articles))]!;
    const fix = fill(rnd.pick(f.topic.fixes), f);
    yield {
      article_id: `KB-${String(n + 1).padStart(5, '0')}`,
      title: `${f.app}: when ${f.product} ${f.symptom}`,
      body:
        `Applies to ${f.product} with the ${f.app} app. Users see error ${f.code} and the ${f.module} fails. ` +
        `Steps: check the ${rnd.some(f.topic.words, 3).join(', ')}. ${fix} ` +
        `If it still fails, open a ticket with the ${f.topic.category} team.`,
      url: `https://kb.${spec.tenant}.example/articles/${n + 1}`,
      tags: [f.topic.category, f.product.toLowerCase()],
    };
  }
}

/** Hosts, one /24 per 200 hosts, and an IPv6 /64 per 500. */
export function* sampleAssets(spec: SampleSpec): Generator<SampleAsset> {
  const rnd = new Prng(spec.seed ?? 7).fork(`assets ${spec.tenant}`);
  let made = 0;
  for (let n = 0; made < spec.assets; n++) {
    const host = hostAsset(spec, n);
    const topic = TOPICS[n % TOPICS.length]!;
    yield {
      network: host.address,
      hostname: host.hostname,
      owner: rnd.pick(OWNERS),
      role: topic.hostRole,
      location: rnd.pick(SITES),
      notes: rnd.next() < 0.2 ? 'maintenance window Sunday 02:00–04:00' : null,
    };
    made++;
    if (made < spec.assets && n % 200 === 0) {
      yield {
        network: `${v4Prefix(spec, n)}.0/24`,
        hostname: `net-${spec.tenant}-${Math.floor(n / 200)}`,
        owner: 'Network team',
        role: 'subnet',
        location: rnd.pick(SITES),
        notes: null,
      };
      made++;
    }
    if (made < spec.assets && n % 500 === 0) {
      yield {
        network: `2001:db8:${spec.tenantIndex.toString(16)}:${(n / 500).toString(16)}::/64`,
        hostname: `v6-${spec.tenant}-${n / 500}`,
        owner: 'Network team',
        role: 'ipv6 segment',
        location: rnd.pick(SITES),
        notes: null,
      };
      made++;
    }
  }
}

function hostCount(spec: SampleSpec): number {
  return Math.max(1, Math.floor(spec.assets * 0.9));
}

function hostAsset(spec: SampleSpec, n: number): { address: string; hostname: string } {
  const topic = TOPICS[n % TOPICS.length]!;
  const role = topic.hostRole.split(' ')[0]!.slice(0, 5);
  return { address: `${v4Prefix(spec, n)}.${(n % 200) + 10}`, hostname: `${role}-${spec.tenant}-${n}` };
}

function v4Prefix(spec: SampleSpec, n: number): string {
  const block = Math.floor(n / 200);
  return `10.${spec.tenantIndex * 64 + Math.floor(block / 256)}.${block % 256}`;
}

function ticketId(n: number): string {
  return `INC-${String(n + 1).padStart(6, '0')}`;
}

function fill(template: string, f: Family): string {
  return template
    .replaceAll('{product}', f.product)
    .replaceAll('{module}', f.module)
    .replaceAll('{code}', f.code);
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
