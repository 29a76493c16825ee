/** Polls a worker's /readyz and /healthz in the background, as a kubelet would, remembering each answer. */
export interface ProbeAnswer {
  /** When the answer came (epoch ms): a probe may wait up to its timeout for it. */
  readonly at: number;
  readonly path: '/readyz' | '/healthz';
  /** 0 when the probe got no answer within its timeout. */
  readonly status: number;
  readonly reason?: string;
}

export interface ProbeWatch {
  readonly answers: ProbeAnswer[];
  /** Answers of `path` at or after `since` (epoch ms). */
  of(path: ProbeAnswer['path'], since?: number): ProbeAnswer[];
  stop(): Promise<void>;
}

export function watchProbes(port: number, everyMs = 100, timeoutMs = 3_000): ProbeWatch {
  const answers: ProbeAnswer[] = [];
  let on = true;
  const probe = async (path: ProbeAnswer['path']) => {
    try {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
      const body = (await res.json()) as { reason?: string };
      answers.push({ at: Date.now(), path, status: res.status, reason: body.reason });
    } catch {
      answers.push({ at: Date.now(), path, status: 0 });
    }
  };
  const loop = (async () => {
    while (on) {
      await Promise.all([probe('/readyz'), probe('/healthz')]);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    answers,
    of: (path, since = 0) => answers.filter((a) => a.path === path && a.at >= since),
    stop: async () => {
      on = false;
      await loop;
    },
  };
}
