/**
 * The write-back's state in enhancement_history.result.writeback, one statement each, run as the
 * job's tenant. `lease` is the compare-and-set that lets one attempt at a time post a note: it takes
 * the lease when no note id is stored and no live lease is held, and reports what it found.
 */
import type { Statement } from './statement.js';

export function leaseStatement(jobId: string, leaseMs: number): Statement {
  return {
    sql: `with cur as (
        select h.job_id, h.result->'writeback' as wb from enhancement_history h where h.job_id = ?::uuid for update
      ), taken as (
        update enhancement_history h
          set result = jsonb_set(coalesce(h.result, '{}'::jsonb), '{writeback}', jsonb_build_object(
                'status', 'leased',
                'lease_until', clock_timestamp() + make_interval(secs => ?),
                'leases', coalesce((cur.wb->>'leases')::int, 0) + 1)),
              updated_at = clock_timestamp()
        from cur
        where h.job_id = cur.job_id and cur.wb->>'note_id' is null
          and (cur.wb->>'lease_until' is null or (cur.wb->>'lease_until')::timestamptz <= clock_timestamp())
        returning h.job_id
      )
      select cur.wb->>'note_id' as note_id,
        coalesce((cur.wb->>'leases')::int, 0) as earlier_leases,
        exists (select 1 from taken) as taken,
        greatest(0, ceil(extract(epoch from ((cur.wb->>'lease_until')::timestamptz - clock_timestamp())) * 1000))::int
          as held_ms
      from cur`,
    bindings: [jobId, leaseMs / 1000],
  };
}

export function releaseStatement(jobId: string): Statement {
  return {
    sql: `update enhancement_history
        set result = jsonb_set(jsonb_set(result, '{writeback,lease_until}', to_jsonb(clock_timestamp())),
          '{writeback,status}', '"released"')
      where job_id = ?::uuid and result->'writeback' is not null and result->'writeback'->>'note_id' is null`,
    bindings: [jobId],
  };
}

/** Stores the note id unless one is stored already (then no row comes back). */
export function saveStatement(jobId: string, record: { note_id: string; how: string }): Statement {
  return {
    sql: `update enhancement_history
        set result = jsonb_set(coalesce(result, '{}'::jsonb), '{writeback}', ?::jsonb), updated_at = clock_timestamp()
      where job_id = ?::uuid and (result->'writeback'->>'note_id') is null
      returning job_id`,
    bindings: [JSON.stringify({ status: 'posted', ...record }), jobId],
  };
}
