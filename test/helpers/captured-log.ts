import { PassThrough } from 'node:stream';
import { createLogger, type Logger } from '../../src/observability/logger.js';

/** A JSON logger whose lines the test can read, parsed, as they are written. */
export function capturedLog(pod: string): { log: Logger; lines: Record<string, unknown>[] } {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  let buf = '';
  stream.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    for (const p of parts) if (p) lines.push(JSON.parse(p) as Record<string, unknown>);
  });
  return { log: createLogger({ level: 'info', format: 'json', pod, stream }), lines };
}
