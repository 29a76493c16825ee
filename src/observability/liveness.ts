/** What /healthz looks at: both are read per probe, never scraped from prom-client. */
export interface LivenessInputs {
  /** The loop-lag monitor's verdict (null: the loop keeps up). */
  readonly loopLag: () => string | null;
  /** Handlers abandoned at the hard deadline that are still running. */
  readonly abandonedRunning: () => number;
  /** HEALTH_MAX_ABANDONED: tolerated; one more fails liveness. */
  readonly maxAbandoned: number;
  /**
   * The worker's history writes: how long the oldest has been pending, and the bound past which the
   * process counts as wedged (HEALTH_MAX_WRITE_PENDING_MS). Absent where there are none (ingest).
   */
  readonly historyWrite?: { readonly pendingMs: () => number; readonly maxPendingMs: number };
}

/**
 * Liveness is the hard-deadline backstop: a wedged event loop, a pile of handlers that ignore their
 * abort, or a history write stuck past every bound cannot be fixed from inside the process, so /healthz
 * fails and the kubelet restarts it.
 * null when alive, else every reason, joined.
 */
export function livenessReason(inputs: LivenessInputs): string | null {
  const abandoned = inputs.abandonedRunning();
  const write = inputs.historyWrite;
  const pendingMs = write ? Math.round(write.pendingMs()) : 0;
  const reasons = [
    inputs.loopLag(),
    abandoned > inputs.maxAbandoned
      ? `abandoned handlers still running: ${abandoned}, over the bound of ${inputs.maxAbandoned}`
      : null,
    // Every write is bounded, so one pending this long means the bounds themselves failed: only a
    // restart helps (its unacked jobs go back to the queue when the connection drops).
    write && pendingMs > write.maxPendingMs
      ? `a history write pending for ${pendingMs} ms, over the bound of ${write.maxPendingMs} ms`
      : null,
  ].filter((r): r is string => r !== null);
  return reasons.length > 0 ? reasons.join('; ') : null;
}
