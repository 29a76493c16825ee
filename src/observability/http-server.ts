import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface Probe {
  /** null when healthy, else the reason. */
  (): Promise<string | null> | string | null;
}

export interface HealthServer {
  readonly port: number;
  /**
   * Stops accepting connections and closes idle ones; requests in progress get `graceMs` to finish
   * (each answered with `connection: close`), then every connection is cut.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * /healthz (liveness), /readyz (readiness) and /metrics, on Node's own http. Any other request goes to
 * `handle` when given (the ingest webhook shares the port), else gets a 404.
 */
export async function startHealthServer(opts: {
  port: number;
  registry: Registry;
  live: Probe;
  ready: Probe;
  handle?: (req: http.IncomingMessage, res: http.ServerResponse) => void;
}): Promise<HealthServer> {
  let closing = false;
  const server = http.createServer((req, res) => {
    // A keep-alive client would otherwise hold its connection open through the whole grace time.
    if (closing) res.setHeader('connection', 'close');
    // A request that was in progress when closing began leaves an idle keep-alive connection behind.
    res.once('finish', () => {
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
    const path = (req.url ?? '/').split('?')[0];
    if (opts.handle && path !== '/metrics' && path !== '/healthz' && path !== '/readyz') {
      opts.handle(req, res);
      return;
    }
    void route(req.url ?? '/').then(
      ({ status, type, body }) => {
        res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
        res.end(body);
      },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'error', reason: String(err) }));
      },
    );
  });
  async function route(url: string): Promise<{ status: number; type: string; body: string }> {
    const path = url.split('?')[0];
    if (path === '/metrics') {
      return { status: 200, type: opts.registry.contentType, body: await opts.registry.metrics() };
    }
    if (path === '/healthz' || path === '/readyz') {
      const reason = await (path === '/healthz' ? opts.live : opts.ready)();
      const body = JSON.stringify(reason === null ? { status: 'ok' } : { status: 'unavailable', reason });
      return { status: reason === null ? 200 : 503, type: 'application/json', body };
    }
    return { status: 404, type: 'application/json', body: '{"status":"not found"}' };
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, () => resolve());
  });
  server.keepAliveTimeout = 5_000;
  // A client trickling headers or a body (slowloris) holds a socket and up to a body's worth of memory:
  // bound how long a request may take to arrive (Node's defaults are 60 s and 300 s).
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  return {
    port: (server.address() as AddressInfo).port,
    close: (graceMs = 0) =>
      new Promise<void>((resolve) => {
        closing = true;
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
