/**
 * docs/configuration.md, generated from the zod schema (src/config/schema.ts): its descriptions, defaults
 * and bounds are the one source. `npm run docs:config` rewrites the file; test/unit/docs/configuration.test.ts
 * fails when it is stale or when the chart's values disagree with the schema.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as markdown from 'prettier/plugins/markdown';
import * as prettier from 'prettier/standalone';
import type { z } from 'zod';
import { configSchema } from '../src/config/schema.js';
import { accepted, asEnvText, unwrap } from '../src/lib/schema-words.js';

/**
 * Variables the Helm chart sets itself, with where their value comes from; they are not keys of
 * `config` in values.yaml. Every other variable is `config.<NAME>` (ingest's own INGEST_* are
 * `ingest.config.<NAME>`).
 */
export const CHART_SETS: Readonly<Record<string, string>> = {
  AMQP_URL: '`secrets.amqpUrl` or an existing Secret (`secrets.amqp`)',
  DATABASE_URL: '`secrets.databaseUrl` or an existing Secret (`secrets.database`)',
  HTTP_PORT: '`httpPort`',
  INGEST_PORT: '`ingest.httpPort`',
  POD_NAME: 'the downward API',
  POD_NAMESPACE: 'the downward API',
  POD_UID: 'the downward API',
  TENANTS_FILE: '`tenants` (mounted from its Secret)',
  LLM_API_KEY_FILE: '`llm.apiKey` (mounted from its Secret)',
  LLM_API_KEY: 'never: use `llm.apiKey`, which mounts the key as a file',
  KUBERNETES_SERVICE_HOST: 'Kubernetes itself',
};

/** Where a variable is set in the chart. */
export function chartKey(name: string): string {
  return (
    CHART_SETS[name] ?? (name.startsWith('INGEST_') ? `\`ingest.config.${name}\`` : `\`config.${name}\``)
  );
}

/** Sections of the reference, in order; each variable goes to the first that matches. */
const SECTIONS: readonly [string, RegExp][] = [
  ['Connections', /^(AMQP_URL|DATABASE_URL|DATABASE_POOL_MAX)$/],
  ['Queues, jobs and retries', /^(QUEUE_|WORKER_|JOB_|RETRY_|SUSPECT_|SHUTDOWN_|AMQP_RECONNECT_)/],
  ['Enhancement pipeline', /^(ENHANCER_|CONTEXT_|NOTE_|LLM_|SERVICEDESK_)/],
  ['Logs, health and metrics', /^(LOG_|HTTP_PORT|HEALTH_|METRICS_|READY_)/],
  ['Webhook ingest', /^(INGEST_|TENANTS_FILE)/],
  ['Kubernetes: leader election, janitor and Events', /^(POD_|KUBERNETES_|LEADER_|LEASE_|JANITOR_|EVENTS_)/],
  ['Traces', /^OTEL_/],
  ['Bounds on network calls', /(TIMEOUT_MS|KEEPALIVE_MS|HEARTBEAT_S|WAIT_OUT_MAX_MS)$/],
];

const cell = (text: string) => text.replace(/\|/g, '\\|');

function row(name: string, schema: z.ZodType): string {
  const { default: dflt } = unwrap(schema);
  const shownDefault = dflt === undefined ? 'unset' : `\`${asEnvText(dflt)}\``;
  const description = (schema as { description?: string }).description ?? '';
  return `| \`${name}\` | ${shownDefault} | ${cell(accepted(schema) ?? 'text')} | ${cell(description)} | ${chartKey(name)} |`;
}

const PREAMBLE = `# Configuration

<!-- Generated from src/config/schema.ts by \`npm run docs:config\`: edit the schema, not this file. -->

Every setting is an environment variable, read once at start-up (\`src/config\`); every one is optional. A
blank value counts as unset. A bad value stops the process before it connects anywhere, with one line
naming the variable and what it accepts, and exit code 2:

\`\`\`text
enhancer: WORKER_CONCURRENCY must be a whole number from 1 to 1000, got "abc"
\`\`\`

A password in a URL is never printed, there or anywhere else (errors, logs, probe reasons, spans): it
shows as \`***\`. Durations are in milliseconds unless the name says otherwise. Rules across variables:
\`JOB_SOFT_TIMEOUT_MS\` may not exceed \`JOB_TIMEOUT_MS\`; \`LEASE_RETRY_MS\` < \`LEASE_RENEW_DEADLINE_MS\` <
\`LEASE_DURATION_MS\`; \`LLM_MODEL\` is required with \`LLM_BASE_URL\`; \`LLM_API_KEY\` and
\`LLM_API_KEY_FILE\` exclude each other.

\`QUEUE_DELIVERY_LIMIT\` is a queue argument, fixed when the queues are first declared: a worker started
with another value stops with RabbitMQ's \`PRECONDITION_FAILED\`; change it with a policy, or by deleting
and recreating the queues. The rest of \`OTEL_*\` (protocol, headers, sampler, batch sizes) is read by the
OpenTelemetry SDK itself, which is loaded only when tracing is on.

The last column says where the Helm chart (\`charts/enhancer\`) takes each value from: \`config.*\` and
\`ingest.config.*\` are keys of its values.yaml, rendered into ConfigMaps (an empty value leaves the
default); the others the chart sets itself.
`;

/** The whole of docs/configuration.md. */
export function configurationMarkdown(): string {
  const shape = configSchema.shape as Record<string, z.ZodType>;
  const bySection = new Map<string, string[]>(SECTIONS.map(([title]) => [title, []]));
  for (const name of Object.keys(shape)) {
    const section = SECTIONS.find(([, re]) => re.test(name));
    if (!section) throw new Error(`${name} fits no section of docs/configuration.md: add it to SECTIONS`);
    bySection.get(section[0])!.push(row(name, shape[name]!));
  }
  const parts = [PREAMBLE];
  for (const [title, rows] of bySection) {
    if (rows.length === 0) continue;
    parts.push(
      `## ${title}\n\n| variable | default | accepts | meaning | in the chart |\n| --- | --- | --- | --- | --- |\n${rows.join('\n')}\n`,
    );
  }
  return parts.join('\n');
}

/**
 * docs/configuration.md as prettier (which `npm run check` runs) leaves it: the standalone build with
 * its markdown plugin, which loads no modules dynamically (jest cannot run those).
 */
export async function formattedConfigurationDoc(root: string): Promise<string> {
  const options = JSON.parse(readFileSync(path.join(root, '.prettierrc.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  return prettier.format(configurationMarkdown(), { ...options, parser: 'markdown', plugins: [markdown] });
}

async function main(): Promise<void> {
  const target = path.resolve(process.cwd(), 'docs', 'configuration.md');
  writeFileSync(target, await formattedConfigurationDoc(process.cwd()));
  process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exitCode = 1;
  });
}
