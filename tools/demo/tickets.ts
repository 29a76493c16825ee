import { randomUUID } from 'node:crypto';
import type { Job } from '../../src/domain/job.js';
import { DEMO_SPECS, knownMachines, sampleQueries } from './sample.js';

/** One demo ticket: the job as `enhancer enqueue --file` reads it, and what its context must hold. */
export interface Sample {
  readonly job: Omit<Job, 'timestamp'>;
  /** What the ticket is meant to show, in words. */
  readonly scenario: string;
  readonly expect: {
    readonly status: 'completed' | 'failed';
    /** Machines (hostnames) the context must hold; none at all when `nothing`. */
    readonly machines?: readonly string[];
    /** At least one of these past tickets must be among the similar ones. */
    readonly oneOf?: readonly string[];
    /** The context must be empty: nothing in the data relates to the ticket. */
    readonly nothing?: boolean;
  };
  /** Whether it should end in the dead-letter queue. */
  readonly deadLettered: boolean;
}

function job(tenant: string, ticket: string, priority: Job['priority'], description: string) {
  return { job_id: randomUUID(), ticket_id: ticket, tenant_id: tenant, priority, description };
}

/**
 * Tickets that hit each kind of context: a known fault on a known machine, a known fault alone, a
 * machine named by hostname and by IPv6 address, and a request nothing in the data relates to.
 * With `unknownRequest`, one more whose helpdesk request does not exist (the write-back's 404).
 */
export function sampleTickets(opts: { unknownRequest?: boolean } = {}): Sample[] {
  const [acme, globex] = DEMO_SPECS as [(typeof DEMO_SPECS)[0], (typeof DEMO_SPECS)[0]];
  const a = sampleQueries(acme);
  const g = sampleQueries(globex);
  const m = knownMachines(acme);
  const out: Sample[] = [
    {
      job: job('acme', 'SD-5101', 'high', a.withAsset.description),
      scenario: 'a known fault on a known machine',
      expect: { status: 'completed', machines: [a.withAsset.asset!.hostname], oneOf: a.withAsset.related },
      deadLettered: false,
    },
    {
      job: job('acme', 'SD-5102', 'medium', a.withoutAsset.description),
      scenario: 'a known fault: similar tickets and articles',
      expect: { status: 'completed', oneOf: a.withoutAsset.related },
      deadLettered: false,
    },
    {
      job: job(
        'acme',
        'SD-5103',
        'critical',
        `Cannot reach ${m.hostname} since 09:10\n\nThe app on ${m.v6Address} times out as well.`,
      ),
      scenario: 'machines named by hostname and by IPv6 address',
      expect: { status: 'completed', machines: [m.hostname, m.v6Host] },
      deadLettered: false,
    },
    {
      job: job('globex', 'SD-5201', 'high', g.withAsset.description),
      scenario: "another tenant's known fault on its machine",
      expect: { status: 'completed', machines: [g.withAsset.asset!.hostname], oneOf: g.withAsset.related },
      deadLettered: false,
    },
    {
      job: job('globex', 'SD-5202', 'low', 'Please order an ergonomic chair for our new starter, Ms Okafor.'),
      scenario: 'nothing relates: an honest note',
      expect: { status: 'completed', nothing: true },
      deadLettered: false,
    },
  ];
  if (opts.unknownRequest) {
    out.push({
      job: job('globex', 'SD-404', 'medium', g.withoutAsset.description),
      scenario: 'the helpdesk has no such request: dead-lettered, note kept',
      expect: { status: 'failed', oneOf: g.withoutAsset.related },
      deadLettered: true,
    });
  }
  return out;
}

/** What a producer with a bug might send: the raw e-mail instead of a job. Never valid JSON. */
export const POISON_BODY = Buffer.from(
  'From: helpdesk-mailer@acme.example\nSubject: Printer PRN-3F-02 jammed again\n\nPlease help!!\n',
);
