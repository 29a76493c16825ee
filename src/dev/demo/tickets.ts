import { randomUUID } from 'node:crypto';
import type { Job, Simulate } from '../../domain/job';

/** The retries the demo's worker gets (enhancer's default, pinned so the expectations below hold). */
export const DEMO_RETRY_MAX = 3;

/** One sample ticket: the job as the enqueue command reads it, and what should become of it. */
export interface Sample {
  readonly job: Omit<Job, 'timestamp'>;
  /** What the job is set up to do, in words. */
  readonly scenario: string;
  readonly expect: { readonly status: 'completed' | 'failed'; readonly attempts: number };
  /** Whether it should end in the dead-letter queue. */
  readonly deadLettered: boolean;
}

type Def = [
  ticket: string,
  tenant: string,
  priority: Job['priority'],
  description: string,
  simulate?: Simulate,
];

const defs: Def[] = [
  [
    'SD-4101',
    'acme',
    'high',
    'VPN drops every 10 to 15 minutes since the GlobalProtect client update on Monday.',
  ],
  [
    'SD-4102',
    'acme',
    'medium',
    'Outlook keeps asking for my password after the MFA reset; webmail works fine.',
  ],
  [
    'SD-4103',
    'acme',
    'low',
    'Printer PRN-3F-02 on the 3rd floor reports a paper jam but there is no paper stuck.',
  ],
  [
    'SD-4104',
    'globex',
    'critical',
    'Order processing stalled: the ERP database server has been at 100% CPU since 08:40.',
  ],
  ['SD-4105', 'globex', 'high', 'Finance team gets 403 Forbidden on the SharePoint "Budget 2027" site.'],
  [
    'SD-4106',
    'globex',
    'medium',
    'Onboarding for J. Alvarez starting Monday: laptop, AD account, e-mail and badge.',
  ],
  ['SD-4107', 'initech', 'low', 'Please assign an Adobe Acrobat Pro licence to the legal team (3 seats).'],
  [
    'SD-4108',
    'initech',
    'medium',
    'Wi-Fi in meeting room B drops as soon as more than ten people connect.',
    { fail_times: 1 },
  ],
  [
    'SD-4109',
    'initech',
    'critical',
    'Payroll export to the bank times out; salaries are due on Friday.',
    { fail_times: 99 },
  ],
  [
    'SD-4110',
    'acme',
    'high',
    'Phone with the authenticator app was stolen; block and re-enrol MFA for user mkeller.',
    { error: 'permanent', fail_times: 1 },
  ],
  [
    'SD-4111',
    'globex',
    'medium',
    'The monthly sales dashboard in the BI portal takes over two minutes to load.',
    { sleep_ms: 1500 },
  ],
  [
    'SD-4112',
    'initech',
    'low',
    'E-mails with attachments over 10 MB bounce with "552 message size exceeds".',
  ],
];

function outcome(sim: Simulate | undefined): Pick<Sample, 'scenario' | 'expect' | 'deadLettered'> {
  const fails = sim?.fail_times ?? 0;
  if (sim?.error === 'permanent' && fails > 0)
    return {
      scenario: 'permanent error: dead-lettered, no retry',
      expect: { status: 'failed', attempts: 1 },
      deadLettered: true,
    };
  if (fails > DEMO_RETRY_MAX)
    return {
      scenario: `fails every attempt: ${DEMO_RETRY_MAX} retries, then dead-lettered`,
      expect: { status: 'failed', attempts: DEMO_RETRY_MAX + 1 },
      deadLettered: true,
    };
  if (fails > 0)
    return {
      scenario: `fails ${fails === 1 ? 'once' : `${fails} times`}, then succeeds on a retry`,
      expect: { status: 'completed', attempts: fails + 1 },
      deadLettered: false,
    };
  if (sim?.sleep_ms)
    return {
      scenario: `slow: takes ${sim.sleep_ms} ms`,
      expect: { status: 'completed', attempts: 1 },
      deadLettered: false,
    };
  return {
    scenario: 'succeeds first time',
    expect: { status: 'completed', attempts: 1 },
    deadLettered: false,
  };
}

/** A dozen ServiceDesk-like tickets from three tenants, each with a fresh job_id. */
export function sampleTickets(): Sample[] {
  return defs.map(([ticket_id, tenant_id, priority, description, simulate]) => ({
    job: {
      job_id: randomUUID(),
      ticket_id,
      tenant_id,
      priority,
      description,
      ...(simulate ? { simulate } : {}),
    },
    ...outcome(simulate),
  }));
}

/** What a producer with a bug might send: the raw e-mail instead of a job. Never valid JSON. */
export const POISON_BODY = Buffer.from(
  'From: helpdesk-mailer@acme.example\nSubject: Printer PRN-3F-02 jammed again\n\nPlease help!!\n',
);
