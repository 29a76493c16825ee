import type { Knex } from '@mikro-orm/postgresql';
import { openProducer, type Producer } from '../../src/adapters/amqp/producer.js';
import { PgContextStore } from '../../src/adapters/db/context-store.js';
import { openReadPool } from '../../src/adapters/db/orm.js';
import { systemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/observability/logger.js';
import { contextEnhancer } from '../../src/pipeline/context/context-enhancer.js';
import type { ContextStore, EnhancementRecord } from '../../src/pipeline/context/types.js';
import { runWorker, type RunningWorker } from '../../src/worker/run-worker.js';
import { seedContext } from '../helpers/context-fixtures.js';
import { hang } from '../helpers/fake-context-store.js';
import { makeJob } from '../helpers/live-jobs.js';
import { createTestEnv, waitFor, type TestEnv } from '../helpers/services.js';

interface Row {
  status: string;
  attempts: number;
  result_summary: string | null;
  result: EnhancementRecord | null;
}

describe('the context pipeline in a worker', () => {
  let t: TestEnv;
  let producer: Producer;
  const workers: RunningWorker[] = [];
  let pool: Knex | undefined;

  const final = (jobId: string) =>
    waitFor(`job ${jobId} to end`, async () => {
      const [r] = await t.query<Row>('select * from enhancement_history where job_id = $1', [jobId]);
      return r && r.status !== 'pending' ? r : undefined;
    });

  beforeAll(async () => {
    t = await createTestEnv('context_pipeline');
    await seedContext(t.databaseUrl, 'acme', {
      tickets: [
        {
          ticket_id: 'OLD-1',
          subject: 'VPN drops every hour',
          description: 'AnyConnect disconnects every hour from the office network.',
          resolution: 'Reinstalled AnyConnect 4.10 and cleared the profile cache.',
        },
      ],
      articles: [
        {
          article_id: 'KB-1',
          title: 'AnyConnect keeps dropping',
          body: 'Clear the AnyConnect profile cache.',
        },
      ],
      assets: [{ network: '10.0.4.17', hostname: 'vpn-gw-1', owner: 'Network team', role: 'vpn gateway' }],
    });
    producer = await openProducer(t.config());
  });
  afterAll(async () => {
    await producer?.close();
    for (const w of workers) await w.stop();
    await pool?.destroy();
    await t?.teardown();
  });

  it('is the default pipeline: the note lands in result, its first line in result_summary', async () => {
    const w = await runWorker(t.config(), silentLogger);
    workers.push(w);
    const job = makeJob({
      tenant_id: 'acme',
      ticket_id: 'NEW-1',
      description: 'VPN drops again\nAnyConnect disconnects hourly via gateway 10.0.4.17',
    });
    await producer.publishJob(job);
    const row = await final(job.job_id);
    await w.stop();
    expect(row.status).toBe('completed');
    const result = row.result!;
    expect(result.note.split('\n')[0]).toBe(row.result_summary);
    expect(result.note).toContain('10.0.4.17 is vpn-gw-1 — owner Network team, role vpn gateway.');
    expect(result.note).toContain('#OLD-1 "VPN drops every hour": Reinstalled AnyConnect 4.10');
    expect(result.note).toContain('KB-1 "AnyConnect keeps dropping"');
    expect(result.synthesis).toEqual({ kind: 'extractive' });
    expect(Object.values(result.steps).map((s) => s.status)).toEqual(['ok', 'ok', 'ok']);
    const metrics = await w.metrics.registry.getSingleMetricAsString('enhancement_step_duration_seconds');
    expect(metrics).toMatch(
      /enhancement_step_duration_seconds_count\{step="similar_tickets",status="ok"\} [1-9]/,
    );
    await w.stop();
  });

  it('records a step that runs out of budget as timeout, and the job still completes', async () => {
    pool = openReadPool({ databaseUrl: t.databaseUrl, poolMax: 4, applicationName: 'test' });
    const real = new PgContextStore(pool);
    const slowKb: ContextStore = {
      similarTickets: (q, limit, o) => real.similarTickets(q, limit, o),
      assets: (tenant, lookup, limit, o) => real.assets(tenant, lookup, limit, o),
      kbArticles: (_q, _limit, o) => hang(o),
    };
    const w = await runWorker(t.config(), silentLogger, {
      enhancer: contextEnhancer({
        store: slowKb,
        clock: systemClock,
        stepTimeoutMs: 300,
        limits: { similar: 5, kb: 3, assets: 10 },
        noteMaxChars: 4000,
      }),
    });
    workers.push(w);
    const job = makeJob({ tenant_id: 'acme', description: 'VPN drops, AnyConnect disconnects' });
    await producer.publishJob(job);
    const row = await final(job.job_id);
    expect(row).toMatchObject({ status: 'completed', attempts: 1 });
    expect(row.result!.steps.kb_articles).toMatchObject({ status: 'timeout', count: 0 });
    expect(row.result!.steps.similar_tickets.status).toBe('ok');
    expect(row.result!.note).toContain('Not available this time: knowledge base (timeout).');
  });
});
