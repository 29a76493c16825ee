/**
 * Caps a metric's `tenant_id` label cardinality: the first `max` tenants a process sees keep their
 * own label, later ones share `other` (a label per tenant would grow Prometheus without bound).
 */
export class TenantLabels {
  private readonly seen = new Set<string>();

  constructor(private readonly max: number) {}

  of(id: string | undefined): string {
    if (id === undefined) return 'unknown';
    if (this.seen.has(id)) return id;
    if (this.seen.size >= this.max) return 'other';
    this.seen.add(id);
    return id;
  }
}
