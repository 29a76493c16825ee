import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { TenantLabels } from '../observability/tenant-labels.js';

/** The ingest server's Prometheus metrics, on a Registry of its own (never the global one). */
export class IngestMetrics {
  readonly registry = new Registry();

  readonly requests = new Counter({
    name: 'ingest_requests_total',
    help: 'Webhook requests answered, by HTTP status code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'ingest_request_duration_seconds',
    help: 'Time from a webhook request to its answer (a 202 includes the broker confirm).',
    labelNames: ['code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly published = new Counter({
    name: 'ingest_jobs_published_total',
    help: 'Jobs published and confirmed by the broker, by tenant.',
    labelNames: ['tenant_id'] as const,
    registers: [this.registry],
  });
  readonly duplicates = new Counter({
    name: 'ingest_duplicate_tickets_total',
    help: 'Posts of a ticket already accepted within INGEST_DEDUP_SECONDS, answered with its job_id.',
    registers: [this.registry],
  });

  private readonly tenantLabels: TenantLabels;

  constructor(maxTenants = 1000, defaults = true) {
    this.tenantLabels = new TenantLabels(maxTenants);
    if (defaults) collectDefaultMetrics({ register: this.registry });
  }

  answered(code: number, seconds: number): void {
    const label = String(code);
    this.requests.inc({ code: label });
    this.duration.observe({ code: label }, seconds);
  }

  jobPublished(tenantId: string): void {
    this.published.inc({ tenant_id: this.tenantLabels.of(tenantId) });
  }
}
