import { intList, parseBenchArgs, usage, type BenchOptions } from '../../../../tools/bench/args.js';

describe('bench options', () => {
  it('runs the ceiling and the scale-out curve at 1, 2 and 4 processes by default', () => {
    const o = parseBenchArgs([]) as BenchOptions;
    expect(o.skipCeiling).toBe(false);
    expect(o.scale).toEqual([1, 2, 4]);
  });

  it('takes other counts, or none', () => {
    expect((parseBenchArgs(['--scale', '4,1,2,2']) as BenchOptions).scale).toEqual([1, 2, 4]);
    expect((parseBenchArgs(['--skip-scale', '--skip-ceiling']) as BenchOptions).scale).toEqual([]);
    expect((parseBenchArgs(['--skip-ceiling']) as BenchOptions).skipCeiling).toBe(true);
  });

  it('refuses a count list that is not one', () => {
    for (const bad of ['', '0', '1,x', '2.5', '1,,2', '17']) {
      expect(() => intList('scale', bad, 1, 16)).toThrow(/--scale must be/);
    }
  });

  it('documents every flag it accepts', () => {
    for (const flag of ['--skip-ceiling', '--scale', '--skip-scale', '--skip-baseline']) {
      expect(usage).toContain(flag);
    }
  });
});
