import { Writable } from 'node:stream';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { createLogger } from '../../../src/observability/logger.js';
import { inSpan } from '../../../src/observability/tracing.js';
import { recordingTracer } from '../../helpers/spans.js';

const SECRET = 'S3cret-pw';
const URL_WITH_SECRET = `postgres://app:${SECRET}@db:5432/x`;

describe('no password leaves through', () => {
  it('a log line: message and every string field', async () => {
    let written = '';
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        written += chunk.toString();
        done();
      },
    });
    for (const format of ['json', 'pretty'] as const) {
      const log = createLogger({ level: 'info', format, pod: 'p', stream });
      log.child({ url: URL_WITH_SECRET }).warn(`could not reach ${URL_WITH_SECRET}`, {
        error_message: `connect failed: amqp://guest:${SECRET}@rabbit`,
      });
    }
    await new Promise((r) => setImmediate(r));
    expect(written).toContain('postgres://app:***@db:5432/x');
    expect(written).toContain('amqp://guest:***@rabbit');
    expect(written).not.toContain(SECRET);
  });

  it('a failed span: its status, exception message and stack', async () => {
    const { tracer, exporter } = recordingTracer();
    await inSpan(tracer, 'db claim', ROOT_CONTEXT, () =>
      Promise.reject(new Error(`cannot open ${URL_WITH_SECRET}`)),
    ).catch(() => undefined);
    const [span] = exporter.getFinishedSpans();
    expect(JSON.stringify({ status: span!.status, events: span!.events })).not.toContain(SECRET);
    expect(span!.status.message).toBe('cannot open postgres://app:***@db:5432/x');
    expect(span!.events[0]!.attributes?.['exception.stacktrace']).toEqual(expect.stringContaining('***'));
  });
});
