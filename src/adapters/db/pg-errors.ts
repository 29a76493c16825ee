import { InfrastructureError, ValidationError } from '../../domain/errors.js';

/**
 * SQLSTATE classes that mean "this data is wrong" (22 data exception, 23 integrity, 42 access rule or
 * syntax, incl. row-level security): retrying cannot help. Anything else (connection refused, admin
 * shutdown, too many connections, a timeout) means Postgres is in trouble and the write may succeed later.
 */
const DATA_CLASSES = new Set(['22', '23', '42']);

export function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.length === 5 && DATA_CLASSES.has(code.slice(0, 2));
}

export function classifyDbError(err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  if (isDataError(err)) return new ValidationError(`history write refused: ${message}`);
  if (err instanceof Error && err.name === 'InfrastructureError') return err;
  return new InfrastructureError(`postgres unavailable: ${message}`, { cause: err, dependency: 'postgres' });
}
