import net from 'node:net';
import { Registry } from 'prom-client';
import {
  REQUEST_LIMITS,
  startHealthServer,
  type RequestLimits,
} from '../../../src/observability/http-server.js';

/** Opens a connection, sends `text` and never finishes the request; resolves when the server cuts it. */
function trickle(port: number, text: string) {
  return new Promise<{ afterMs: number; answer: string }>((resolve, reject) => {
    const began = Date.now();
    let answer = '';
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve({ afterMs: Date.now() - began, answer }));
  });
}

async function serve(limits: RequestLimits) {
  return startHealthServer({
    port: 0,
    registry: new Registry(),
    live: () => null,
    ready: () => null,
    // As the webhook does: read the whole body before answering.
    handle: (req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    },
    limits,
  });
}

describe('health server request limits', () => {
  it('documents 10 s for headers, 15 s for a whole request, checked every second', () => {
    expect(REQUEST_LIMITS).toEqual({ headersMs: 10_000, requestMs: 15_000, checkEveryMs: 1_000 });
  });

  // Node checks these bounds only every connectionsCheckingInterval (30 s by default): without it a
  // slow client would be cut after ~30 s, whatever the bounds say.
  it('cuts a client that never finishes its headers at the headers bound, with a 408', async () => {
    const server = await serve({ headersMs: 300, requestMs: 2_000, checkEveryMs: 50 });
    try {
      const { afterMs, answer } = await trickle(server.port, 'POST /webhook HTTP/1.1\r\nHost: x\r\n');
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
      expect(afterMs).toBeGreaterThanOrEqual(250);
      expect(afterMs).toBeLessThan(1_500);
    } finally {
      await server.close();
    }
  });

  it('cuts a client that trickles its body at the request bound', async () => {
    const server = await serve({ headersMs: 200, requestMs: 400, checkEveryMs: 50 });
    try {
      const headers = 'POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"a":';
      const { afterMs } = await trickle(server.port, headers);
      expect(afterMs).toBeGreaterThanOrEqual(350);
      expect(afterMs).toBeLessThan(1_500);
    } finally {
      await server.close();
    }
  });
});
