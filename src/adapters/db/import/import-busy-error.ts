/** Another import of the same kind for the same tenant holds the lock: try again when it is done. */
export class ImportBusyError extends Error {
  override readonly name = 'ImportBusyError';
  constructor(kind: string, tenantId: string) {
    super(
      `another ${kind} import for tenant ${JSON.stringify(tenantId)} is running; try again when it is done`,
    );
  }
}
