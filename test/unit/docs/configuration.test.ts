/**
 * One source for the configuration: the zod schema. docs/configuration.md is generated from it, and the
 * chart's values.yaml and values.schema.json must name the same variables with the same defaults and
 * bounds. How the chart maps values to the environment (charts/enhancer/templates): `config` becomes the
 * workers' ConfigMap and `ingest.config` ingest's (empty values left out), while a few variables are set
 * by the templates themselves (CHART_SETS in tools/config-doc.ts).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { z } from 'zod';
import { configSchema } from '../../../src/config/schema.js';
import { asEnvText, unwrap } from '../../../src/lib/schema-words.js';
import { CHART_SETS, formattedConfigurationDoc } from '../../../tools/config-doc.js';

const ROOT = path.resolve(__dirname, '../../..');
const CHART = path.join(ROOT, 'charts/enhancer');
const DOC = path.join(ROOT, 'docs/configuration.md');
const shape = configSchema.shape as Record<string, z.ZodType>;
const names = Object.keys(shape);

const values = parse(readFileSync(path.join(CHART, 'values.yaml'), 'utf8')) as {
  config: Record<string, unknown>;
  ingest: { config: Record<string, unknown> };
};
interface JsonSchema {
  properties?: Record<string, JsonSchema>;
  propertyNames?: { not?: { enum?: string[]; anyOf?: { enum?: string[] }[] } };
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  enum?: string[];
}
const valuesSchema = JSON.parse(readFileSync(path.join(CHART, 'values.schema.json'), 'utf8')) as JsonSchema;
const templates = readdirSync(path.join(CHART, 'templates'))
  .map((f) => readFileSync(path.join(CHART, 'templates', f), 'utf8'))
  .join('\n');

/**
 * Documented exceptions.
 * - LEASE_NAME: empty in values.yaml on purpose; the chart fills in `<fullname>-janitor`, so two releases
 *   in one namespace elect separate leaders (templates/configmap.yaml).
 * - ingest.config.OTEL_SERVICE_NAME: `enhancer-ingest`, so the front door's spans tell from the workers'.
 * - POD_UID and KUBERNETES_SERVICE_HOST are not refused in `config` by values.schema.json: POD_UID comes
 *   from the downward API and Kubernetes sets KUBERNETES_SERVICE_HOST after the ConfigMap anyway.
 */
const DEFAULT_DIFFERS = new Set(['config.LEASE_NAME', 'ingest.config.OTEL_SERVICE_NAME']);
const NOT_REFUSED_IN_CONFIG = new Set(['POD_UID', 'KUBERNETES_SERVICE_HOST', 'INGEST_PORT']);

describe('docs/configuration.md', () => {
  it('is what `npm run docs:config` generates from the schema (run it after changing src/config/schema.ts)', async () => {
    expect(readFileSync(DOC, 'utf8')).toBe(await formattedConfigurationDoc(ROOT));
  });

  it('describes every variable in the schema', () => {
    expect(names.filter((n) => !(shape[n] as { description?: string }).description)).toEqual([]);
  });
});

describe('the chart and the schema', () => {
  const inConfig = Object.keys(values.config);
  const inIngest = Object.keys(values.ingest.config);

  it('values.yaml names every variable the chart does not set itself, and only those', () => {
    const expected = names.filter((n) => !(n in CHART_SETS));
    const named = new Set([...inConfig, ...inIngest]);
    expect(expected.filter((n) => !named.has(n))).toEqual([]);
    expect([...named].filter((n) => !(n in shape))).toEqual([]);
    expect([...named].filter((n) => n in CHART_SETS)).toEqual([]);
  });

  it("keeps ingest's own variables in ingest.config and the rest in config", () => {
    expect(inConfig.filter((n) => n.startsWith('INGEST_'))).toEqual([]);
    expect(inIngest.filter((n) => !n.startsWith('INGEST_') && !n.startsWith('OTEL_'))).toEqual([]);
  });

  it("gives each the schema's default (or leaves it empty where the schema has none)", () => {
    const differs = [
      ...Object.entries(values.config).map(([k, v]) => [`config.${k}`, k, v] as const),
      ...Object.entries(values.ingest.config).map(([k, v]) => [`ingest.config.${k}`, k, v] as const),
    ].flatMap(([where, name, value]) => {
      if (DEFAULT_DIFFERS.has(where)) return [];
      const dflt = unwrap(shape[name]!).default;
      const want = dflt === undefined ? '' : asEnvText(dflt);
      return String(value) === want
        ? []
        : [`${where}: ${JSON.stringify(value)}, schema default ${JSON.stringify(want)}`];
    });
    expect(differs).toEqual([]);
  });

  it('sets the variables it claims to set, in the templates', () => {
    const set = Object.keys(CHART_SETS).filter(
      (n) => !['LLM_API_KEY', 'KUBERNETES_SERVICE_HOST'].includes(n),
    );
    expect(set.filter((n) => !new RegExp(`name: ${n}\\b`).test(templates))).toEqual([]);
    // LLM_API_KEY never: the key is mounted as a file.
    expect(templates).not.toMatch(/name: LLM_API_KEY\b(?!_FILE)/);
  });

  it('refuses in `config` what it sets itself', () => {
    const not = valuesSchema.properties!.config!.propertyNames!.not!;
    const refused = new Set([...(not.enum ?? []), ...(not.anyOf ?? []).flatMap((a) => a.enum ?? [])]);
    const missing = Object.keys(CHART_SETS).filter((n) => !refused.has(n) && !NOT_REFUSED_IN_CONFIG.has(n));
    expect(missing).toEqual([]);
  });

  it('values.schema.json bounds and choices are the schema’s', () => {
    const props = {
      ...valuesSchema.properties!.config!.properties,
      ...valuesSchema.properties!.ingest!.properties!.config!.properties,
    };
    const problems = Object.entries(props).flatMap(([name, p]) => {
      const schema = shape[name];
      if (!schema) return [`${name}: in values.schema.json, not in the schema`];
      const inner = unwrap(schema).inner as unknown as {
        minValue?: number | null;
        maxValue?: number | null;
        options?: string[];
        def: { type: string; checks?: { _zod: { def: { check: string; inclusive?: boolean } } }[] };
      };
      const out: string[] = [];
      if (inner.def.type === 'number') {
        const exclusive = inner.def.checks?.some(
          (c) => c._zod.def.check === 'greater_than' && c._zod.def.inclusive === false,
        );
        const min = exclusive ? p.exclusiveMinimum : p.minimum;
        const max = inner.maxValue === Number.MAX_SAFE_INTEGER ? undefined : (inner.maxValue ?? undefined);
        if (min !== (inner.minValue ?? undefined)) out.push(`${name}: minimum ${min} vs ${inner.minValue}`);
        if (p.maximum !== max) out.push(`${name}: maximum ${p.maximum} vs ${max}`);
      }
      if (inner.def.type === 'enum') {
        const choices = (p.enum ?? []).filter((v) => v !== '');
        if (JSON.stringify(choices) !== JSON.stringify(inner.options)) {
          out.push(`${name}: enum ${choices.join(',')} vs ${inner.options?.join(',')}`);
        }
      }
      return out;
    });
    expect(problems).toEqual([]);
  });
});
