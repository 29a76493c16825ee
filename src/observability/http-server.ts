import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface Probe {
  /** null when healthy, else the reason. */
  (): Promise<string | null> | string | null;
}

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

/** /healthz (liveness), /readyz (readiness) and /metrics, on Node's own http. */
export async function startHealthServer(opts: {
  port: number;
  registry: Registry;
  live: Probe;
  ready: Probe;
}): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
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
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
