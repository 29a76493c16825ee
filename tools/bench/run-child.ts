/**
 * Runs a bench peer's `main` as its process: exit code 0 when it resolves, 1 with one stderr line
 * when it fails, and the IPC channel (if the bench opened one) let go so the process can end.
 */
export function runChild(name: string, main: () => Promise<void>): void {
  main().then(
    () => {
      process.exitCode = 0;
    },
    (err: unknown) => {
      process.stderr.write(`${name}: ${(err as Error).message}\n`);
      process.exitCode = 1;
      process.disconnect?.();
    },
  );
}
