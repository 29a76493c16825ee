/**
 * Runs `flush` once at the end of the current turn of the event loop, however often it is asked for
 * during the turn (`defer`: setImmediate by default, injectable for tests). What many callers start in
 * one turn (history writes, acks) then leaves in one piece.
 */
export class AtTurnEnd {
  private scheduled = false;

  constructor(
    private readonly flush: () => void,
    private readonly defer: (run: () => void) => void = setImmediate,
  ) {}

  request(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.defer(() => {
      this.scheduled = false;
      this.flush();
    });
  }
}
