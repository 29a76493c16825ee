/** What this module needs of a raw `pg` Client (the pool's connections). */
export interface RawPgClient {
  readonly connection: { readonly stream: { destroy(): void } };
  once(event: 'end', listener: () => void): unknown;
}

/**
 * Every raw connection the pool opened, so that a silent Postgres can be let go of.
 *
 * Behind a partition (no FIN, no RST) a connection looks healthy until something waits on it. One whose
 * query overran its bound is destroyed: returned to the pool, its late answer would go to the next query.
 * Every other connection opened before then crossed the same network, so each is destroyed instead of
 * being handed out again, and the next query opens a fresh one (bounded by the connect timeout), rather
 * than finding out about the dead ones one timeout at a time.
 *
 * Wired into the knex pool as its `afterCreate` and `validate` hooks (see `ormOptions`).
 */
export class PgLinks {
  /** Each open connection → the generation it was opened in. */
  private readonly open = new Map<RawPgClient, number>();
  private generation = 0;

  /** The pool opened `client`. */
  adopt(client: RawPgClient): void {
    this.open.set(client, this.generation);
    client.once('end', () => this.open.delete(client));
  }

  /**
   * Whether the pool may hand `client` out. One opened before the last stall is destroyed here (its
   * socket at once: a polite `end` would wait for an answer that never comes) and refused.
   */
  usable(client: RawPgClient): boolean {
    const opened = this.open.get(client);
    if (opened === undefined) return false;
    if (opened === this.generation) return true;
    destroy(client);
    return false;
  }

  /** A query on `client` overran its bound: destroy it, and distrust every connection opened so far. */
  stalled(client: RawPgClient): void {
    destroy(client);
    this.generation++;
  }

  /** Destroys every connection still open (closing, after the pool's own close had its chance). */
  destroyAll(): void {
    for (const client of [...this.open.keys()]) destroy(client);
  }

  get size(): number {
    return this.open.size;
  }
}

function destroy(client: RawPgClient): void {
  // pg then emits 'end': queries on it fail, and knex marks it disposed, so the pool never reuses it.
  client.connection.stream.destroy();
}
