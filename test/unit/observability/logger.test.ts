import { Writable } from 'node:stream';
import { createLogger, silentLogger } from '../../../src/observability/logger.js';
import { deferred } from '../../helpers/deferred.js';

/** A stream that hands each written line to the test, as it arrives. */
function sink() {
  const lines: string[] = [];
  let next = deferred<string>();
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      const line = chunk.toString('utf8');
      lines.push(line);
      next.resolve(line);
      next = deferred<string>();
      done();
    },
  });
  return { stream, lines, nextLine: () => next.promise };
}

describe('createLogger', () => {
  it('writes one JSON object a line, with service, pod, child and call fields', async () => {
    const out = sink();
    const log = createLogger({ level: 'info', format: 'json', pod: 'pod-1', stream: out.stream });
    const line = out.nextLine();
    log.child({ job_id: 'j1' }).info('job started', { attempt: 2 });
    const parsed = JSON.parse(await line) as Record<string, unknown>;
    expect(parsed).toEqual({
      ts: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      level: 'info',
      msg: 'job started',
      service: 'enhancer',
      pod: 'pod-1',
      job_id: 'j1',
      attempt: 2,
    });
  });

  it('drops lines below its level', async () => {
    const out = sink();
    const log = createLogger({ level: 'warn', format: 'json', pod: 'p', stream: out.stream });
    const line = out.nextLine();
    log.info('not this');
    log.debug('nor this');
    log.warn('this');
    expect((JSON.parse(await line) as { msg: string }).msg).toBe('this');
    expect(out.lines).toHaveLength(1);
  });

  it('writes a readable line in pretty format', async () => {
    const out = sink();
    const log = createLogger({ level: 'debug', format: 'pretty', pod: 'p', stream: out.stream });
    const line = out.nextLine();
    log.error('boom', { job_id: 'j1', n: 3 });
    expect(await line).toMatch(/^\d{4}-\d\d-\d\dT\S+Z ERROR boom job_id=j1 n=3\n$/);
  });
});

describe('silentLogger', () => {
  it('returns itself as child', () => {
    expect(silentLogger.child({ a: 1 })).toBe(silentLogger);
  });
});
