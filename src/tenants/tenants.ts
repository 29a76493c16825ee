import { z } from 'zod';
import { errorMessage } from '../lib/error-message.js';
import type { Logger } from '../observability/logger.js';

/**
 * Tenants, from the JSON file named by TENANTS_FILE, read by `enhancer ingest` (webhook secrets) and
 * `enhancer worker` (where each tenant's notes are written back):
 *
 *   {"tenants": {"acme": {"secrets": ["<new>", "<old>"], "require_timestamp": true,
 *                         "servicedesk": {"url": "https://sdp.acme.example", "auth": "authtoken",
 *                                         "token_file": "/var/run/secrets/acme-sdp"}},
 *                "globex": {"secret": "<at least 16 characters>"}}}
 *
 * JSON only (no YAML parser is shipped for one small file). `secrets` lists several during a rotation;
 * `secret` is shorthand for one; a tenant with neither cannot post to the webhook. `require_timestamp`
 * refuses requests without a signed X-Timestamp. `servicedesk` (optional) is the ServiceDesk Plus the
 * tenant's notes go to: its base URL, `authtoken` (on-premises technician key, sent as `authtoken:`) or
 * `zoho-oauthtoken` (cloud, sent as `Authorization: Zoho-oauthtoken …`), and the token itself or a file
 * holding it (read at each use, so a rotated Secret is picked up). Without it, notes stay in history.
 */
export interface ServiceDeskTarget {
  /** The base URL, e.g. https://sdp.acme.example or https://sdp.acme.example/prefix. */
  readonly url: string;
  readonly auth: 'authtoken' | 'zoho-oauthtoken';
  readonly token: { readonly value: string } | { readonly file: string };
}

export interface Tenant {
  readonly id: string;
  readonly secrets: readonly string[];
  readonly requireTimestamp: boolean;
  readonly servicedesk?: ServiceDeskTarget;
}

export type TenantTable = ReadonlyMap<string, Tenant>;

/** The file could not be used; the message never quotes the file (it holds secrets). */
export class TenantsFileError extends Error {
  override readonly name = 'TenantsFileError';
}

const secret = z.string().min(16, 'a secret needs at least 16 characters');
const servicedeskSchema = z
  .strictObject({
    url: z
      .url({ protocol: /^https?$/, error: 'an http(s) URL' })
      .refine((u) => !new URL(u).username && !new URL(u).password, 'no credentials in the URL; use token'),
    auth: z.enum(['authtoken', 'zoho-oauthtoken']).default('authtoken'),
    token: z.string().min(1).optional(),
    token_file: z.string().min(1).optional(),
  })
  .refine((s) => (s.token === undefined) !== (s.token_file === undefined), 'give either token or token_file');
const tenantSchema = z
  .strictObject({
    secret: secret.optional(),
    secrets: z.array(secret).min(1).optional(),
    require_timestamp: z.boolean().default(false),
    servicedesk: servicedeskSchema.optional(),
  })
  .refine((t) => t.secret === undefined || t.secrets === undefined, 'give secret or secrets, not both');
const fileSchema = z.strictObject({
  // Tenant ids are the job contract's tenant_id: 1–64 characters.
  tenants: z.record(z.string().min(1).max(64), tenantSchema),
});

export function parseTenants(text: string): TenantTable {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // V8's message quotes the text around the error, which may be a secret.
    throw new TenantsFileError('not valid JSON');
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'the file';
    throw new TenantsFileError(`${where}: ${issue?.message ?? 'invalid'}`);
  }
  return new Map(
    Object.entries(parsed.data.tenants).map(([id, t]): [string, Tenant] => [
      id,
      {
        id,
        secrets: t.secrets ?? (t.secret === undefined ? [] : [t.secret]),
        requireTimestamp: t.require_timestamp,
        ...(t.servicedesk
          ? {
              servicedesk: {
                url: t.servicedesk.url,
                auth: t.servicedesk.auth,
                token:
                  t.servicedesk.token === undefined
                    ? { file: t.servicedesk.token_file! }
                    : { value: t.servicedesk.token },
              },
            }
          : {}),
      },
    ]),
  );
}

/**
 * The tenants in force. A reload that fails (unreadable, bad JSON, bad schema, e.g. a file caught
 * half-written) keeps the last good table and logs why; the next change of the file tries again.
 */
export class TenantRegistry {
  private table: TenantTable;

  constructor(
    initial: TenantTable,
    private readonly read: () => Promise<string>,
    private readonly log: Logger,
  ) {
    this.table = initial;
  }

  get(id: string): Tenant | undefined {
    return this.table.get(id);
  }

  get size(): number {
    return this.table.size;
  }

  /** Re-reads the file; true when the new table is in force. */
  async reload(): Promise<boolean> {
    try {
      const next = parseTenants(await this.read());
      const changed = describeChange(this.table, next);
      this.table = next;
      this.log.info('tenants file reloaded', { tenants: next.size, ...changed });
      return true;
    } catch (err) {
      this.log.error('tenants file reload failed; keeping the previous tenants', {
        error_message: err instanceof TenantsFileError ? err.message : errorMessage(err),
        tenants: this.table.size,
      });
      return false;
    }
  }
}

function describeChange(before: TenantTable, after: TenantTable) {
  return {
    added: [...after.keys()].filter((id) => !before.has(id)),
    removed: [...before.keys()].filter((id) => !after.has(id)),
  };
}
