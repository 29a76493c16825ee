import { isUuid } from '../../../src/domain/job.js';
import { windowJobId } from '../../../src/ingest/job-ids.js';

const W = 300_000;

describe('windowJobId', () => {
  it('is a version-5-layout uuid the job contract accepts', () => {
    const id = windowJobId('acme', 'T-1', 1_000, W);
    expect(isUuid(id)).toBe(true);
    expect(id[14]).toBe('5');
    expect('89ab').toContain(id[19]);
  });

  it('is the same for one tenant and ticket within a window, on any replica', () => {
    expect(windowJobId('acme', 'T-1', 600_000, W)).toBe(windowJobId('acme', 'T-1', 899_999, W));
  });

  it('differs across tenants, tickets and windows', () => {
    const id = windowJobId('acme', 'T-1', 600_000, W);
    expect(windowJobId('globex', 'T-1', 600_000, W)).not.toBe(id);
    expect(windowJobId('acme', 'T-2', 600_000, W)).not.toBe(id);
    expect(windowJobId('acme', 'T-1', 900_000, W)).not.toBe(id);
    // The separator keeps ("a", "bc") and ("ab", "c") apart.
    expect(windowJobId('a', 'bc', 0, W)).not.toBe(windowJobId('ab', 'c', 0, W));
  });

  it('gives a post one full window after another a different id, wherever the first fell', () => {
    for (const first of [600_000, 750_000, 899_999]) {
      expect(windowJobId('acme', 'T-1', first + W, W)).not.toBe(windowJobId('acme', 'T-1', first, W));
    }
  });
});
