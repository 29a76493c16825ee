/** Time as a port: the real one wraps Date and timers; tests pass a fake they advance by hand. */
export interface Clock {
  now(): number;
  setTimer(fn: () => void, ms: number): Timer;
}

export interface Timer {
  clear(): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, ms);
    return { clear: () => clearTimeout(t) };
  },
};

/** The system clock for background monitors: its timers never keep the process alive. */
export const backgroundClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, ms).unref();
    return { clear: () => clearTimeout(t) };
  },
};
