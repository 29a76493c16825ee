import { decodeJob } from '../../../src/domain/decode.js';
import { ValidationError } from '../../../src/domain/errors.js';
import { MAX_BODY_BYTES } from '../../../src/domain/job.js';
import { JOB_ID, jobData } from '../../helpers/jobs.js';

const encode = (value: unknown) => Buffer.from(JSON.stringify(value));

function rejectionOf(body: Buffer): ValidationError {
  try {
    decodeJob(body);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).name).toBe('ValidationError');
    return err as ValidationError;
  }
  throw new Error(`decodeJob accepted ${body.toString('utf8').slice(0, 200)}`);
}

function without(key: string): Record<string, unknown> {
  const data = jobData();
  delete data[key];
  return data;
}

/** A valid job whose JSON is padded with whitespace to exactly `bytes` bytes. */
function paddedBody(bytes: number): Buffer {
  const json = JSON.stringify(jobData());
  return Buffer.from(json + ' '.repeat(bytes - Buffer.byteLength(json)));
}

describe('decodeJob accepts', () => {
  it('a minimal valid job, returned field for field', () => {
    expect(decodeJob(encode(jobData()))).toEqual({
      job_id: JOB_ID,
      ticket_id: 'TICKET-42',
      tenant_id: 'acme',
      description: 'The printer is on fire',
      priority: 'high',
      timestamp: '2026-11-28T10:00:00Z',
    });
  });

  it('a job with trace_id and a full simulate object', () => {
    const simulate = {
      fail_times: 2,
      sleep_ms: 10,
      block_ms: 5,
      ignore_abort: true,
      crash: false,
      error: 'permanent',
    };
    const job = decodeJob(encode(jobData({ trace_id: 'trace-1', simulate })));
    expect(job.trace_id).toBe('trace-1');
    expect(job.simulate).toEqual(simulate);
  });

  it.each(['low', 'medium', 'high', 'critical'])('priority %s', (priority) => {
    expect(decodeJob(encode(jobData({ priority }))).priority).toBe(priority);
  });

  it.each(['2026-11-28T10:00:00Z', '2026-11-28T10:00:00.123Z', '2026-11-28T10:00:00+02:00'])(
    'timestamp %s',
    (timestamp) => {
      expect(decodeJob(encode(jobData({ timestamp }))).timestamp).toBe(timestamp);
    },
  );

  it('ticket_id of 128 chars, tenant_id of 64 chars and fail_times 0', () => {
    const job = decodeJob(
      encode(jobData({ ticket_id: 't'.repeat(128), tenant_id: 'a'.repeat(64), simulate: { fail_times: 0 } })),
    );
    expect(job.ticket_id).toHaveLength(128);
    expect(job.tenant_id).toHaveLength(64);
    expect(job.simulate).toEqual({ fail_times: 0 });
  });

  it.each([
    ['ASCII', 'x', 64 * 1024],
    ['2-byte', 'é', 32 * 1024],
    ['3-byte', '€', 21845],
    ['4-byte', '😀', 16 * 1024],
  ])('a description of exactly 64 KiB in %s characters', (_kind, ch, count) => {
    const description = ch.repeat(count);
    expect(Buffer.byteLength(description) <= 64 * 1024).toBe(true);
    expect(decodeJob(encode(jobData({ description }))).description).toBe(description);
  });

  it('a body of exactly 256 KiB', () => {
    const body = paddedBody(256 * 1024);
    expect(body.length).toBe(MAX_BODY_BYTES);
    expect(decodeJob(body).job_id).toBe(JOB_ID);
  });
});

describe('decodeJob rejects', () => {
  it.each(['job_id', 'ticket_id', 'tenant_id', 'description', 'priority', 'timestamp'])(
    'a job missing %s, naming the field',
    (key) => {
      expect(rejectionOf(encode(without(key))).message).toMatch(new RegExp(`^${key}: `));
    },
  );

  it.each([
    ['job_id', 'not-a-uuid'],
    ['job_id', '3f1c2a9e8b7d4c6e9a5b1d2e3f4a5b6c'],
    ['job_id', 42],
    ['ticket_id', 42],
    ['ticket_id', ''],
    ['ticket_id', 't'.repeat(129)],
    ['tenant_id', ['acme']],
    ['tenant_id', ''],
    ['tenant_id', 'a'.repeat(65)],
    ['description', null],
    ['priority', 'urgent'],
    ['priority', 'HIGH'],
    ['priority', 1],
    ['timestamp', '2026-11-28'],
    ['timestamp', '28/11/2026 10:00'],
    ['timestamp', '2026-11-28T10:00:00'],
    ['timestamp', 1764324000000],
    ['trace_id', ''],
    ['trace_id', 7],
    ['simulate', 'crash'],
  ])('%s = %j', (key, value) => {
    expect(rejectionOf(encode(jobData({ [key]: value }))).message).toMatch(new RegExp(`^${key}: `));
  });

  it.each([
    ['an unknown key', { explode: true }, 'simulate'],
    ['negative fail_times', { fail_times: -1 }, 'simulate.fail_times'],
    ['fractional sleep_ms', { sleep_ms: 1.5 }, 'simulate.sleep_ms'],
    ['negative block_ms', { block_ms: -1 }, 'simulate.block_ms'],
    ['an unknown error kind', { error: 'fatal' }, 'simulate.error'],
  ])('simulate with %s', (_what, simulate, where) => {
    expect(rejectionOf(encode(jobData({ simulate }))).message).toMatch(new RegExp(`^${where}: `));
  });

  it.each([
    ['ASCII', 'x', 64 * 1024 + 1],
    ['2-byte', 'é', 32 * 1024 + 1],
    ['3-byte', '€', 21846],
    ['4-byte', '😀', 16 * 1024 + 1],
  ])('a description over 64 KiB in %s characters', (_kind, ch, count) => {
    const description = ch.repeat(count);
    expect(Buffer.byteLength(description) > 64 * 1024).toBe(true);
    expect(rejectionOf(encode(jobData({ description }))).message).toBe('description: longer than 64 KiB');
  });

  it.each([
    ['not JSON', 'hello'],
    ['truncated JSON', '{"job_id": "'],
    ['empty', ''],
  ])('a body that is %s, with nothing readable', (_what, text) => {
    const err = rejectionOf(Buffer.from(text));
    expect(err.message).toMatch(/^body is not JSON: /);
    expect(err.partial).toEqual({});
  });

  it.each([
    ['not JSON', 'secret words'],
    ['JSON with a bare word', '{"description":secret words}'],
    ['JSON with trailing text', '{"description":"secret words"} x'],
    [
      'JSON that fails the schema',
      JSON.stringify(jobData({ description: 'secret words', priority: 'secret' })),
    ],
    ['JSON with a wrong type', JSON.stringify(jobData({ timestamp: 'secret words' }))],
  ])('never quotes the input in its message (it may hold a description): %s', (_what, text) => {
    const err = rejectionOf(Buffer.from(text));
    expect(err.message).toMatch(/^[a-z]+(?: is not JSON)?: \S/);
    expect(err.message).not.toContain('secret');
  });

  it.each([
    ['null', null],
    ['a string', 'job'],
    ['a number', 7],
    ['an array', [jobData()]],
  ])('JSON that is %s', (_what, value) => {
    const err = rejectionOf(encode(value));
    expect(err.message).toMatch(/^body: /);
    expect(err.partial.jobId).toBeUndefined();
    expect(err.partial.tenantId).toBeUndefined();
    expect(err.partial.ticketId).toBeUndefined();
  });

  it('a body one byte over 256 KiB, before parsing it', () => {
    const err = rejectionOf(paddedBody(256 * 1024 + 1));
    expect(err.message).toBe('body is 262145 bytes, over the 262144-byte limit');
    expect(err.partial).toEqual({});
  });
});

describe('ValidationError.partial', () => {
  it('carries job_id (lower-cased), tenant_id and ticket_id when they are readable', () => {
    const err = rejectionOf(encode(jobData({ job_id: JOB_ID.toUpperCase(), priority: 'urgent' })));
    expect(err.partial).toEqual({ jobId: JOB_ID, tenantId: 'acme', ticketId: 'TICKET-42' });
  });

  it('omits job_id when it is not a uuid', () => {
    const err = rejectionOf(encode(jobData({ job_id: 'job-1' })));
    expect(err.partial.jobId).toBeUndefined();
    expect(err.partial).toEqual({ tenantId: 'acme', ticketId: 'TICKET-42' });
  });

  it('omits tenant_id and ticket_id that are too long, empty or not strings', () => {
    const long = rejectionOf(encode(jobData({ tenant_id: 'a'.repeat(65), ticket_id: 't'.repeat(129) })));
    expect(long.partial).toEqual({ jobId: JOB_ID });
    expect(long.partial.tenantId).toBeUndefined();
    expect(long.partial.ticketId).toBeUndefined();

    const wrong = rejectionOf(encode(jobData({ tenant_id: 5, ticket_id: '' })));
    expect(wrong.partial).toEqual({ jobId: JOB_ID });
  });

  it('is empty when no field is readable', () => {
    const err = rejectionOf(encode({ hello: 'world' }));
    expect(err.message).toMatch(/^job_id: /);
    expect(err.partial.jobId).toBeUndefined();
    expect(err.partial.tenantId).toBeUndefined();
    expect(err.partial.ticketId).toBeUndefined();
  });
});
