import http from 'node:http';
import { Registry } from 'prom-client';
import { startHealthServer } from '../../../src/observability/http-server.js';
import { deferred } from '../../helpers/deferred.js';

/** A keep-alive request to 127.0.0.1:port, resolving with status, connection header and body. */
function get(port: number, agent: http.Agent, path = '/work') {
  return new Promise<{ status: number; connection?: string; body: string }>((resolve, reject) => {
    http
      .get({ port, host: '127.0.0.1', path, agent }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body }));
      })
      .on('error', reject);
  });
}

describe('health server with a request handler, closed with a grace time', () => {
  it('routes other paths to the handler and lets a request in flight finish before closing', async () => {
    const release = deferred();
    const entered = deferred();
    const server = await startHealthServer({
      port: 0,
      registry: new Registry(),
      live: () => null,
      ready: () => null,
      handle: (_req, res) => {
        entered.resolve();
        void release.promise.then(() => res.end('done'));
      },
    });
    const agent = new http.Agent({ keepAlive: true });
    try {
      expect((await get(server.port, agent, '/healthz')).status).toBe(200);
      const inFlight = get(server.port, agent);
      await entered.promise;
      let closed = false;
      const closing = server.close(60_000).then(() => (closed = true));
      await new Promise((r) => setImmediate(r));
      expect(closed).toBe(false);
      release.resolve();
      expect(await inFlight).toMatchObject({ status: 200, body: 'done' });
      // Well within the 60 s grace: the idle keep-alive connection is closed as soon as it is idle.
      await closing;
      expect(closed).toBe(true);
    } finally {
      agent.destroy();
    }
  });

  it('without a handler, answers 404 for other paths', async () => {
    const server = await startHealthServer({
      port: 0,
      registry: new Registry(),
      live: () => null,
      ready: () => 'x',
    });
    const agent = new http.Agent({ keepAlive: false });
    try {
      expect((await get(server.port, agent)).status).toBe(404);
      expect(await get(server.port, agent, '/readyz')).toMatchObject({ status: 503 });
    } finally {
      await server.close();
    }
  });
});
