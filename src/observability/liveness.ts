/** What /healthz looks at: both are read per probe, never scraped from prom-client. */
export interface LivenessInputs {
  /** The loop-lag monitor's verdict (null: the loop keeps up). */
  readonly loopLag: () => string | null;
  /** Handlers abandoned at the hard deadline that are still running. */
  readonly abandonedRunning: () => number;
  /** HEALTH_MAX_ABANDONED: tolerated; one more fails liveness. */
  readonly maxAbandoned: number;
}

/**
 * Liveness is the hard-deadline backstop: a wedged event loop or a pile of handlers that ignore
 * their abort cannot be fixed from inside the process, so /healthz fails and the kubelet restarts it.
 * null when alive, else every reason, joined.
 */
export function livenessReason(inputs: LivenessInputs): string | null {
  const abandoned = inputs.abandonedRunning();
  const reasons = [
    inputs.loopLag(),
    abandoned > inputs.maxAbandoned
      ? `abandoned handlers still running: ${abandoned}, over the bound of ${inputs.maxAbandoned}`
      : null,
  ].filter((r): r is string => r !== null);
  return reasons.length > 0 ? reasons.join('; ') : null;
}
