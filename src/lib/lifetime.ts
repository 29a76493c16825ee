import { errorMessage } from './error-message.js';

/**
 * What a long-running process holds, in the order it took it: `release` gives everything back in
 * reverse (a failing release is reported and the rest still run), and `done` resolves once `stop`
 * has released it all.
 */
export class Lifetime {
  readonly done: Promise<void>;
  private readonly releasers: (() => Promise<void> | void)[] = [];
  private finish!: () => void;

  constructor(private readonly onReleaseError: (message: string) => void) {
    this.done = new Promise<void>((resolve) => (this.finish = resolve));
  }

  /** Registers how to give back what was just taken. */
  add(release: () => Promise<void> | void): void {
    this.releasers.push(release);
  }

  async release(): Promise<void> {
    for (const r of this.releasers.splice(0).reverse()) {
      try {
        await r();
      } catch (err) {
        this.onReleaseError(errorMessage(err));
      }
    }
  }

  /** Releases everything, then resolves `done`. */
  readonly stop = async (): Promise<void> => {
    await this.release();
    this.finish();
  };
}
