/**
 * A replay failed part way: what it did before is in `done` (the letters replayed are in the jobs queue
 * and their rows reset), and the message says how many, so the operator knows where it stopped.
 */
export class ReplayInterrupted<T extends { readonly replayed: readonly unknown[] }> extends Error {
  override readonly name = 'ReplayInterrupted';
  constructor(
    readonly done: T,
    cause: unknown,
  ) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`replay stopped after ${done.replayed.length} replayed: ${why}`, { cause });
  }
}
