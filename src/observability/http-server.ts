import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { redactSecrets } from '../lib/redact.js';

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

/** How long a request may take to arrive, and how often Node looks for ones that overran. */
export interface RequestLimits {
  readonly headersMs: number;
  readonly requestMs: number;
  /**
   * Node checks the two bounds above only this often (its default is 30 s, so a slow client held a
   * socket for about 30 s whatever the bounds said): a client is cut at most this much late.
   */
  readonly checkEveryMs: number;
}

/** A client trickling headers or a body (slowloris) holds a socket and up to a body's worth of memory. */
export const REQUEST_LIMITS: RequestLimits = { headersMs: 10_000, requestMs: 15_000, checkEveryMs: 1_000 };

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
  limits?: RequestLimits;
}): Promise<HealthServer> {
  let closing = false;
  const limits = opts.limits ?? REQUEST_LIMITS;
  const bounds = {
    headersTimeout: limits.headersMs,
    requestTimeout: limits.requestMs,
    connectionsCheckingInterval: limits.checkEveryMs,
  };
  const server = http.createServer(bounds, (req, res) => {
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
        res.end(JSON.stringify({ status: 'error', reason: redactSecrets(String(err)) }));
      },
    );
  });
  async function route(url: string): Promise<{ status: number; type: string; body: string }> {
    const path = url.split('?')[0];
    if (path === '/metrics') {
      return { status: 200, type: opts.registry.contentType, body: await opts.registry.metrics() };
    }
    if (path === '/healthz' || path === '/readyz') {
      const found = await (path === '/healthz' ? opts.live : opts.ready)();
      // Probe answers reach whoever can reach the port: a reason quoting a connection string is scrubbed.
      const reason = found === null ? null : redactSecrets(found);
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
