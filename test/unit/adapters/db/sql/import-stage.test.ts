import {
  copyStageSql,
  createStageSql,
  dedupeStageSql,
  dropUnchangedSql,
  stageColumns,
  upsertSql,
} from '../../../../../src/adapters/db/sql/import-stage.js';
import { IMPORT_KINDS, KINDS } from '../../../../../src/import/kinds.js';

describe('import statements', () => {
  it.each(IMPORT_KINDS)('%s: stage, COPY and upsert list the kind’s fields in the same order', (kind) => {
    const fields = KINDS[kind].fields;
    expect(stageColumns(kind)).toEqual(fields);
    expect(copyStageSql(kind)).toBe(`copy enhancer_import_stage (line, ${fields.join(', ')}) from stdin`);
    expect(createStageSql(kind)).toMatch(
      /^create temp table enhancer_import_stage \(line bigint not null, .*\) on commit drop$/,
    );
    expect(upsertSql(kind)).toContain(`(tenant_id, ${fields.join(', ')})`);
  });

  it('types the staging columns Postgres must parse (dates, inet, arrays)', () => {
    expect(createStageSql('tickets')).toContain('created_at timestamptz, resolved_at timestamptz');
    expect(createStageSql('assets')).toContain('network inet, hostname text');
    expect(createStageSql('kb')).toContain('tags text[]');
  });

  it('upserts on the table’s unique key, updating only rows that changed, tenant bound as $1', () => {
    const tickets = upsertSql('tickets');
    expect(tickets).toContain('insert into tickets as t');
    expect(tickets).toContain('select $1, s.ticket_id');
    expect(tickets).toContain('on conflict (tenant_id, ticket_id) do update');
    expect(tickets).toContain('coalesce(s.created_at, now())');
    const assets = upsertSql('assets');
    expect(assets).toContain('on conflict (tenant_id, network, hostname) do update');
    expect(assets).toContain('set owner = excluded.owner, role = excluded.role');
    expect(assets).not.toMatch(/set .*network = excluded/);
  });

  it('drops staged rows equal to the stored ones, comparing every column but the key', () => {
    expect(dropUnchangedSql('assets')).toBe(
      `delete from enhancer_import_stage s using ip_assets t
    where t.network = s.network and t.hostname = s.hostname
      and (t.owner, t.role, t.location, t.notes) is not distinct from (s.owner, s.role, s.location, s.notes)`,
    );
  });

  it('dedupes on the key, keeping the last line', () => {
    expect(dedupeStageSql('assets')).toBe(
      'delete from enhancer_import_stage a using enhancer_import_stage b where a.network = b.network and a.hostname = b.hostname and a.line < b.line',
    );
  });
});
