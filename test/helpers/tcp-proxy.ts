import net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy the test can cut: `cut()` drops every connection through it and refuses new ones, as a
 * network partition or a broker restart would; `restore()` lets connections through again.
 */
export interface TcpProxy {
  readonly port: number;
  cut(): void;
  /** From now on, accept connections and never answer (a broker that hangs), until `restore`. */
  hold(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let open = true;
  let holding = false;
  const server = net.createServer((client) => {
    if (holding) {
      sockets.add(client);
      client.on('error', () => undefined);
      client.on('close', () => sockets.delete(client));
      return;
    }
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(a);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        sockets.delete(a);
        b.destroy();
      });
      a.pipe(b);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut: () => {
      open = false;
      for (const s of sockets) s.destroy();
    },
    hold: () => {
      holding = true;
    },
    restore: () => {
      open = true;
      holding = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        open = false;
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
