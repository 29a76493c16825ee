import { livenessReason } from '../../../src/observability/liveness';

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
