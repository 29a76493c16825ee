import net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy the test controls, to make network failures without touching the shared servers:
 * - `cut()` drops every connection through it and refuses new ones (a broker restart, a reset);
 * - `hold()` accepts new connections and never answers on them (a server that hangs);
 * - `blackhole()` is a partition: the bytes of every open connection are dropped, both ways, with
 *   neither side closed (no FIN, no RST), and new connections are accepted and never answered;
 * - `restore()` lets new connections through again. Connections caught in a blackhole stay dead,
 *   as behind a NAT or conntrack entry that was lost: only fresh ones work.
 */
export interface TcpProxy {
  readonly port: number;
  cut(): void;
  hold(): void;
  blackhole(): void;
  restore(): void;
  /** Connections accepted so far (forwarded or not). */
  readonly accepted: number;
  close(): Promise<void>;
}

interface Pair {
  dead: boolean;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const pairs = new Set<Pair>();
  let open = true;
  let silent = false;
  let accepted = 0;
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  };
  const server = net.createServer((client) => {
    accepted++;
    if (silent) {
      track(client);
      client.on('data', () => undefined); // read and drop: the peer sees no back-pressure either
      return;
    }
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    const pair: Pair = { dead: false };
    pairs.add(pair);
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      track(a);
      // Behind a blackhole nothing crosses, not even a close: the other side is left hanging.
      a.on('data', (chunk: Buffer) => {
        if (!pair.dead) b.write(chunk);
      });
      a.on('error', () => {
        if (!pair.dead) b.destroy();
      });
      a.on('close', () => {
        if (pair.dead) return;
        pairs.delete(pair);
        b.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get accepted() {
      return accepted;
    },
    cut: () => {
      open = false;
      for (const s of sockets) s.destroy();
    },
    hold: () => {
      silent = true;
    },
    blackhole: () => {
      silent = true;
      for (const p of pairs) p.dead = true;
    },
    restore: () => {
      open = true;
      silent = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        open = false;
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
