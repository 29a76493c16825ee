import { FakeClock } from '../../helpers/fake-clock.js';

describe('FakeClock (the test double the other tests rely on)', () => {
  it('starts where told and moves only on advance', () => {
    const clock = new FakeClock(1_000);
    expect(clock.now()).toBe(1_000);
    clock.advance(250);
    expect(clock.now()).toBe(1_250);
  });

  it('fires due timers in due-time order, ties in the order set, at their due time', () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    clock.setTimer(() => fired.push(`c@${clock.now()}`), 30);
    clock.setTimer(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimer(() => fired.push(`b@${clock.now()}`), 10);
    clock.advance(9);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual(['a@10', 'b@10']);
    clock.advance(100);
    expect(fired).toEqual(['a@10', 'b@10', 'c@30']);
    expect(clock.now()).toBe(110);
    expect(clock.pending).toBe(0);
  });

  it('fires a timer set by a firing timer when it falls due within the same advance', () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    clock.setTimer(() => {
      fired.push(clock.now());
      clock.setTimer(() => fired.push(clock.now()), 5);
    }, 5);
    clock.advance(10);
    expect(fired).toEqual([5, 10]);
  });

  it('never fires a cleared timer', () => {
    const clock = new FakeClock();
    const fn = jest.fn();
    clock.setTimer(fn, 10).clear();
    clock.advance(20);
    expect(fn).not.toHaveBeenCalled();
    expect(clock.pending).toBe(0);
  });

  it('block moves time without firing; the next advance fires overdue timers late, in order', () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    clock.setTimer(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimer(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimer(() => fired.push(`c@${clock.now()}`), 80);
    clock.block(50);
    expect(fired).toEqual([]);
    expect(clock.now()).toBe(50);
    clock.advance(0);
    expect(fired).toEqual(['a@50', 'b@50']);
    clock.advance(30);
    expect(fired).toEqual(['a@50', 'b@50', 'c@80']);
  });

  it('refuses to go back in time', () => {
    expect(() => new FakeClock().advance(-1)).toThrow(RangeError);
    expect(() => new FakeClock().block(-1)).toThrow(RangeError);
  });
});
