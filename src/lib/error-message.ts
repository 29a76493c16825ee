/** The message of an Error, or what anything else thrown reads as. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
