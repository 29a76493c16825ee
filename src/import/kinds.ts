/**
 * Glossary
 * - kind: what a file holds: `tickets` (past tickets), `kb` (knowledge-base articles) or `assets`
 *   (the IP inventory). Each has its own fields, schema and table.
 * - record: one line of NDJSON, or one CSV record, as read; a row once validated.
 * - row: a validated record in the shape of its table: column name → value, null when not given.
 * - key: what identifies a row within its tenant; a re-import updates the row with the same key.
 */
import { z } from 'zod';
import { checked, id, line, optional, str, text, timestamp } from './fields.js';
import { hostnameProblem, networkProblem } from './network.js';

export const IMPORT_KINDS = ['tickets', 'kb', 'assets'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

/** One staged value: text, null, or a text array (kb tags). */
export type RowValue = string | null | readonly string[];
export type Row = Readonly<Record<string, RowValue>>;

/** Everything the core knows about a kind. Field names are also the table's column names. */
export interface KindSpec {
  readonly kind: ImportKind;
  /** Every field a record may carry, in column order (also the order of the staging table). */
  readonly fields: readonly string[];
  /** Fields a CSV header must name. */
  readonly required: readonly string[];
  /** What identifies a row within the tenant. */
  readonly key: readonly string[];
  /** Fields that hold a list: a JSON array of strings in NDJSON, `;`-separated in CSV. */
  readonly lists: readonly string[];
  /** Record (after CSV conversion) → row, or the first issue. */
  readonly schema: z.ZodType<Record<string, RowValue | undefined>>;
}

/** Ticket statuses are free text (helpdesks differ) but compared lower-case. */
const status = () =>
  str()
    .transform((s) => s.trim().toLowerCase())
    .pipe(z.string().min(1, 'must not be empty').max(32, 'longer than 32 characters'));

const tickets = z
  .object({
    ticket_id: id(),
    subject: line(1000),
    description: text(),
    resolution: optional(text()),
    status: optional(status()),
    category: optional(line(128)),
    created_at: optional(timestamp()),
    resolved_at: optional(timestamp()),
  })
  // A ticket with a resolution was resolved; without one, and without a status, it is still open.
  .transform((t) => ({ ...t, status: t.status ?? (t.resolution ? 'resolved' : 'open') }));

const tag = line(100).refine((s) => !s.includes(';'), 'contains ";", which separates tags in CSV');

const kb = z
  .object({
    article_id: id(),
    title: line(1000),
    body: text(),
    url: optional(line(2048).pipe(z.url({ protocol: /^https?$/, error: 'not an absolute http(s) URL' }))),
    tags: optional(z.array(tag, { error: 'expected a list of strings' }).max(100, 'more than 100 tags')),
  })
  // No tags is an empty list (the column is not null).
  .transform((a) => ({ ...a, tags: a.tags ?? [] }));

const assets = z.object({
  network: checked(networkProblem),
  hostname: checked(hostnameProblem),
  owner: optional(line(256)),
  role: optional(line(256)),
  location: optional(line(256)),
  notes: optional(text()),
});

/** The three kinds, by name. */
export const KINDS: Readonly<Record<ImportKind, KindSpec>> = {
  tickets: {
    kind: 'tickets',
    fields: [
      'ticket_id',
      'subject',
      'description',
      'resolution',
      'status',
      'category',
      'created_at',
      'resolved_at',
    ],
    required: ['ticket_id', 'subject', 'description'],
    key: ['ticket_id'],
    lists: [],
    schema: tickets,
  },
  kb: {
    kind: 'kb',
    fields: ['article_id', 'title', 'body', 'url', 'tags'],
    required: ['article_id', 'title', 'body'],
    key: ['article_id'],
    lists: ['tags'],
    schema: kb,
  },
  assets: {
    kind: 'assets',
    fields: ['network', 'hostname', 'owner', 'role', 'location', 'notes'],
    required: ['network', 'hostname'],
    key: ['network', 'hostname'],
    lists: [],
    schema: assets,
  },
};

export function isImportKind(value: string): value is ImportKind {
  return (IMPORT_KINDS as readonly string[]).includes(value);
}
