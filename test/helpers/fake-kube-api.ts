/**
 * An in-process stand-in for the Kubernetes API server: Leases (GET/POST/PUT with resourceVersion
 * semantics) and Events (POST, recorded). No API server can run here; this keeps the parts of its
 * contract the elector and the Event poster rely on.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';

interface Stored {
  metadata: { name: string; namespace: string; resourceVersion: string; [k: string]: unknown };
  spec?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface FakeKubeApi {
  readonly url: string;
  /** Leases by `namespace/name`, as last written (times as the client sent them). */
  readonly leases: Map<string, Stored>;
  /** Every Event posted, by namespace, as the client sent it. */
  readonly events: { namespace: string; body: Record<string, unknown> }[];
  /** Requests carrying this bearer token get 503, as from a pod cut off from the API server. */
  readonly blocked: Set<string>;
  /** Requests carrying this bearer token get no answer at all, as from a hung API server. */
  readonly hung: Set<string>;
  /** Unanswered requests whose client has not gone away (a client that gives up closes its socket). */
  readonly hanging: () => number;
  /** Runs before the next PUT of a Lease is applied (e.g. another writer sneaking in). */
  beforeNextPut?: () => void;
  /** Writes a Lease directly, as another pod would; returns it with its new resourceVersion. */
  put(namespace: string, name: string, spec: Record<string, unknown>): Stored;
  /** A client-node configure function for this server, authenticating as `token`. */
  configure(token?: string): (kc: KubeConfig) => void;
  close(): Promise<void>;
}

const LEASES = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([^/]+)\/leases(?:\/([^/?]+))?$/;
const EVENTS = /^\/api\/v1\/namespaces\/([^/]+)\/events$/;

export async function startFakeKubeApi(): Promise<FakeKubeApi> {
  let version = 0;
  const leases = new Map<string, Stored>();
  const events: FakeKubeApi['events'] = [];
  const blocked = new Set<string>();
  const hung = new Set<string>();
  let hanging = 0;
  const store = (namespace: string, name: string, body: Record<string, unknown>): Stored => {
    const meta = (body.metadata ?? {}) as Record<string, unknown>;
    const stored = {
      ...body,
      metadata: { ...meta, name, namespace, resourceVersion: String(++version) },
    } as Stored;
    leases.set(`${namespace}/${name}`, stored);
    return stored;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (code: number, body: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const status = (code: number, reason: string) =>
        reply(code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code });
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      if (hung.has(token)) {
        hanging++;
        res.once('close', () => hanging--);
        return;
      }
      if (blocked.has(token)) return status(503, 'ServiceUnavailable');
      const path = (req.url ?? '').split('?')[0] ?? '';
      const body = chunks.length
        ? (JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>)
        : {};
      const lease = LEASES.exec(path);
      if (lease) {
        const [, ns, name] = lease as unknown as [string, string, string | undefined];
        if (req.method === 'GET' && name) {
          const found = leases.get(`${ns}/${name}`);
          return found ? reply(200, found) : status(404, 'NotFound');
        }
        if (req.method === 'POST' && !name) {
          const newName = String((body.metadata as { name?: string } | undefined)?.name);
          if (leases.has(`${ns}/${newName}`)) return status(409, 'AlreadyExists');
          return reply(201, store(ns, newName, body));
        }
        if (req.method === 'PUT' && name) {
          const hook = api.beforeNextPut;
          api.beforeNextPut = undefined;
          hook?.();
          const current = leases.get(`${ns}/${name}`);
          if (!current) return status(404, 'NotFound');
          const sent = (body.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
          if (sent !== current.metadata.resourceVersion) return status(409, 'Conflict');
          return reply(200, store(ns, name, body));
        }
      }
      const event = EVENTS.exec(path);
      if (event && req.method === 'POST') {
        events.push({ namespace: event[1]!, body });
        return reply(201, body);
      }
      return status(404, 'NotFound');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const api: FakeKubeApi = {
    url,
    leases,
    events,
    blocked,
    hung,
    hanging: () => hanging,
    put: (namespace, name, spec) =>
      store(namespace, name, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name },
        spec,
      }),
    configure:
      (token = 'test') =>
      (kc) =>
        kc.loadFromOptions({
          clusters: [{ name: 'fake', server: url, skipTLSVerify: true }],
          users: [{ name: 'u', token }],
          contexts: [{ name: 'fake', cluster: 'fake', user: 'u' }],
          currentContext: 'fake',
        }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
  return api;
}
