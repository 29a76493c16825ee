import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  queryTickets,
  sampleArticles,
  sampleAssets,
  sampleTickets,
  type QueryTicket,
  type SampleSpec,
} from '../sample/generate.js';

/** The demo's two tenants: a few hundred past tickets, a few dozen articles and machines each. */
export const DEMO_SPECS: readonly SampleSpec[] = [
  { tenant: 'acme', tenantIndex: 0, tickets: 300, articles: 40, assets: 40 },
  { tenant: 'globex', tenantIndex: 1, tickets: 300, articles: 40, assets: 40 },
];

export interface SampleFiles {
  readonly tenant: string;
  readonly files: {
    readonly kind: 'tickets' | 'kb' | 'assets';
    readonly file: string;
    readonly rows: number;
  }[];
}

/** Writes each tenant's sample as NDJSON files, the format `enhancer import` reads. */
export async function writeSample(dir: string): Promise<SampleFiles[]> {
  const out: SampleFiles[] = [];
  for (const spec of DEMO_SPECS) {
    const files: SampleFiles['files'][number][] = [];
    for (const [kind, rows] of [
      ['tickets', [...sampleTickets(spec)]],
      ['kb', [...sampleArticles(spec)]],
      ['assets', [...sampleAssets(spec)]],
    ] as const) {
      const file = path.join(dir, `${spec.tenant}-${kind}.ndjson`);
      await writeFile(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
      files.push({ kind, file, rows: rows.length });
    }
    out.push({ tenant: spec.tenant, files });
  }
  return out;
}

/** New tickets the sample's search should relate to known past tickets (with and without a machine). */
export function sampleQueries(spec: SampleSpec): { withAsset: QueryTicket; withoutAsset: QueryTicket } {
  const all = queryTickets(spec, 20);
  const withAsset = all.find((q) => q.asset);
  const withoutAsset = all.find((q) => !q.asset);
  if (!withAsset || !withoutAsset) throw new Error('the demo sample has no query of each kind');
  return { withAsset, withoutAsset };
}

/** A machine of the tenant, by name, and the IPv6 segment the sample gives the tenant. */
export function knownMachines(spec: SampleSpec): { hostname: string; v6Address: string; v6Host: string } {
  const assets = [...sampleAssets(spec)];
  const host = assets.find((a) => !a.network.includes('/') && a.role === 'database');
  const v6 = assets.find((a) => a.network.includes(':'));
  if (!host || !v6) throw new Error('the demo sample has no database host or IPv6 segment');
  return { hostname: host.hostname, v6Address: v6.network.replace(/::\/64$/, '::42'), v6Host: v6.hostname };
}
