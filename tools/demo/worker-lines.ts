/**
 * The worker's JSON log lines, as the demo shows them: warnings and errors in one short dimmed line
 * each (what went wrong is part of the story), everything else only counted.
 */
export class WorkerLines {
  private quiet = 0;

  constructor(
    private readonly write: (line: string) => void,
    private readonly tty: boolean,
  ) {}

  readonly take = (line: string): void => {
    let entry: { level?: string; msg?: string; ticket_id?: string; reason?: string; error_message?: string };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      this.show(`worker: ${line}`);
      return;
    }
    if (entry.level !== 'warn' && entry.level !== 'error') {
      this.quiet++;
      return;
    }
    const about = [entry.ticket_id, entry.reason, entry.error_message].filter(Boolean).join(', ');
    this.show(`worker ${entry.level}: ${entry.msg ?? ''}${about ? ` (${about.slice(0, 120)})` : ''}`);
  };

  /** How many info and debug lines were not shown. */
  get hidden(): number {
    return this.quiet;
  }

  private show(text: string): void {
    this.write(this.tty ? `  \u001b[2m${text}\u001b[0m` : `  ${text}`);
  }
}
