import { LoopLagMonitor } from '../../../src/observability/loop-lag.js';
import { FakeClock } from '../../helpers/fake-clock.js';

const INTERVAL = 500;
const WINDOW = 30_000;
const MAX = 1_000;

function monitor(clock = new FakeClock()) {
  const m = new LoopLagMonitor({ clock, intervalMs: INTERVAL, windowMs: WINDOW, maxLagMs: MAX }).start();
  return { clock, m };
}

describe('LoopLagMonitor', () => {
  it('sees no lag while every tick fires on time', () => {
    const { clock, m } = monitor();
    clock.advance(10_000);
    expect(m.worstLagMs()).toBe(0);
    expect(m.reason()).toBeNull();
    expect(clock.pending).toBe(1);
  });

  it('measures how late a tick fired after a block, and names the bound', () => {
    const { clock, m } = monitor();
    clock.advance(100);
    clock.block(2_500); // the tick due at 500 runs at 2 600
    clock.advance(0);
    expect(m.worstLagMs()).toBe(2_100);
    expect(m.reason()).toBe('event loop lag 2100 ms in the last 30000 ms, over the 1000 ms bound');
  });

  it('counts a stall still going on: a probe that runs before the overdue tick sees it', () => {
    const { clock, m } = monitor();
    clock.block(1_400);
    expect(m.worstLagMs()).toBe(900);
    expect(m.reason()).toBeNull();
    clock.block(200);
    expect(m.worstLagMs()).toBe(1_100);
    expect(m.reason()).toMatch(/^event loop lag 1100 ms/);
  });

  it('fails only past the bound: a lag of exactly maxLagMs is alive', () => {
    const { clock, m } = monitor();
    clock.block(INTERVAL + MAX);
    clock.advance(0);
    expect(m.worstLagMs()).toBe(MAX);
    expect(m.reason()).toBeNull();
  });

  it('remembers the worst lag for the window, then forgets it', () => {
    const { clock, m } = monitor();
    clock.block(2_500);
    clock.advance(0); // lag 2 000, recorded at 2 500
    clock.block(1_700);
    clock.advance(0); // lag 1 200, recorded at 4 200
    expect(m.worstLagMs()).toBe(2_000);
    clock.advance(WINDOW - 1_700 - 1); // 1 ms before the first sample leaves the window
    expect(m.worstLagMs()).toBe(2_000);
    clock.advance(1);
    expect(m.worstLagMs()).toBe(1_200);
    clock.advance(1_700);
    expect(m.worstLagMs()).toBe(0);
    expect(m.reason()).toBeNull();
  });

  it('stops: no timer left, no lag reported however long it has been', () => {
    const { clock, m } = monitor();
    m.stop();
    expect(clock.pending).toBe(0);
    clock.block(60_000);
    expect(m.reason()).toBeNull();
    m.stop();
  });

  it('starts once: a second start sets no second timer', () => {
    const { clock, m } = monitor();
    m.start();
    expect(clock.pending).toBe(1);
  });
});
