/** One SQL statement with `?` placeholders, inlined by the driver's own escaping before it is sent. */
export interface Statement {
  readonly sql: string;
  readonly bindings: readonly unknown[];
}
