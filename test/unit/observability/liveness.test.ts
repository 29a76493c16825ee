import { livenessReason } from '../../../src/observability/liveness.js';

const probe = (lag: string | null, abandoned: number, maxAbandoned = 4) =>
  livenessReason({ loopLag: () => lag, abandonedRunning: () => abandoned, maxAbandoned });

describe('livenessReason', () => {
  it('is alive while the loop keeps up and abandoned handlers stay within the bound', () => {
    expect(probe(null, 0)).toBeNull();
    expect(probe(null, 4)).toBeNull();
  });

  it('fails past HEALTH_MAX_ABANDONED (strictly), saying how many', () => {
    expect(probe(null, 5)).toBe('abandoned handlers still running: 5, over the bound of 4');
    expect(probe(null, 1, 0)).toBe('abandoned handlers still running: 1, over the bound of 0');
  });

  it('fails on loop lag, and gives every reason when both fail', () => {
    expect(probe('event loop lag 2000 ms', 0)).toBe('event loop lag 2000 ms');
    expect(probe('event loop lag 2000 ms', 6)).toBe(
      'event loop lag 2000 ms; abandoned handlers still running: 6, over the bound of 4',
    );
  });
});

describe('liveness and history writes', () => {
  const probe = (pendingMs: number) =>
    livenessReason({
      loopLag: () => null,
      abandonedRunning: () => 0,
      maxAbandoned: 4,
      historyWrite: { pendingMs: () => pendingMs, maxPendingMs: 60_000 },
    });

  it('stays alive while writes come back within the bound', () => {
    expect(probe(0)).toBeNull();
    expect(probe(60_000)).toBeNull();
  });

  it('fails once a write has been pending past HEALTH_MAX_WRITE_PENDING_MS', () => {
    expect(probe(61_234.4)).toBe('a history write pending for 61234 ms, over the bound of 60000 ms');
  });
});
