import { INGEST_TARGET_RPS, type IngestResult } from './ingest.js';
import { round1 } from './stats.js';

const pass = (r: IngestResult) => r.acceptedPerSecond >= INGEST_TARGET_RPS;
/**
 * Every 202 must be a job in the queue. The queue may hold up to one more per connection: autocannon
 * stops counting at the deadline while those requests are still being answered (and published).
 */
const allQueued = (r: IngestResult) => r.queued >= r.accepted && r.queued <= r.accepted + r.connections;

export function renderIngest(r: IngestResult): string {
  const rows: [string, string, string, string][] = [
    [
      'accepted (202) per second',
      r.acceptedPerSecond.toFixed(0),
      `≥ ${INGEST_TARGET_RPS}`,
      pass(r) ? 'PASS' : 'MISS',
    ],
    ['latency p50 (ms)', r.latencyMs.p50.toFixed(1), '', ''],
    ['latency p99 (ms)', r.latencyMs.p99.toFixed(1), '', ''],
    ['latency max (ms)', r.latencyMs.max.toFixed(1), '', ''],
    [
      'accepted / in jobs queue',
      `${r.accepted} / ${r.queued}`,
      `+0…${r.connections}`,
      allQueued(r) ? 'PASS' : 'MISS',
    ],
    [
      'other answers, errors',
      `${r.refused}, ${r.errors}`,
      '0, 0',
      r.refused === 0 && r.errors === 0 ? 'PASS' : 'MISS',
    ],
    [
      'exit code after SIGTERM',
      String(r.exit.code ?? '—'),
      '= 0',
      r.exit.code === 0 && !r.exit.killed ? 'PASS' : 'MISS',
    ],
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]!.length), 6));
  const line = (c: readonly string[]) =>
    [c[0]!.padEnd(widths[0]!), c[1]!.padStart(widths[1]!), c[2]!.padEnd(widths[2]!), c[3]!]
      .join('  ')
      .trimEnd();
  return [
    `ingest: signed webhook posts, ${r.connections} connections for ${Math.round(r.seconds)} s, publisher confirms on` +
      (r.poolWrapped ? ' (WARNING: signed pool reused; some answers came from dedup)' : ''),
    '',
    line(['metric', 'value', 'target', 'verdict']),
    ...rows.map(line),
  ].join('\n');
}

export function ingestJson(r: IngestResult) {
  return {
    connections: r.connections,
    seconds: Math.round(r.seconds),
    accepted_per_second: round1(r.acceptedPerSecond),
    latency_ms: { p50: round1(r.latencyMs.p50), p99: round1(r.latencyMs.p99), max: round1(r.latencyMs.max) },
    accepted: r.accepted,
    queued: r.queued,
    refused: r.refused,
    errors: r.errors,
    pool_wrapped: r.poolWrapped,
    exit_code: r.exit.code,
    killed: r.exit.killed,
    targets: {
      accepted_per_second: { min: INGEST_TARGET_RPS, pass: pass(r) },
      every_202_queued: { pass: allQueued(r) },
      no_other_answers: { pass: r.refused === 0 && r.errors === 0 },
    },
  };
}
