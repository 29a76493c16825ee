/**
 * `npm run bench`: enhancer's worker against a naive amqplib + pg consumer and a ceiling peer
 * (consume + ack only), on the same load, each with its own queue and database (created here and
 * removed at the end, even on failure); then the scale-out curve (1, 2, 4 enhancer processes on one
 * queue). Progress goes to stderr; stdout gets the tables, then one JSON line.
 */
import { randomBytes } from 'node:crypto';
import { parseBenchArgs, usage } from './args.js';
import { Cleanup } from './cleanup.js';
import { prepareBaseline, prepareCeiling, prepareEnhancer } from './consumers.js';
import { renderCpu } from './cpu-report.js';
import { renderScale, scaleOf } from './scale.js';
import { BUSY_WARNING_PCT, machineBusyPct } from './machine-load.js';
import { measure, measureThroughput, type ConsumerResult, type ThroughputResult } from './measure.js';
import { overheadOf, renderOverhead } from './overhead.js';
import { medianResult } from './rounds.js';
import { renderJson, renderTable, type MainResults } from './report.js';
import { measureIngest } from './ingest.js';
import { ingestJson, renderIngest } from './ingest-report.js';
import { runContextBench } from './context/index.js';
import { contextJson, renderContext } from './context/report.js';

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

async function main(argv: string[]): Promise<number> {
  const o = parseBenchArgs(argv);
  if (o === 'help') {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  // Lower-case letters and digits: safe in database names and queue names alike.
  const id = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const cleanup = new Cleanup(log);
  const abort = new AbortController();
  const onSigint = () => abort.abort(new Error('interrupted by SIGINT'));
  process.once('SIGINT', onSigint);
  const began = Date.now();
  try {
    const busyPct = await machineBusyPct(2000, abort.signal);
    if (busyPct > BUSY_WARNING_PCT) {
      log(`WARNING: the machine was ${busyPct}% busy before the bench started; figures will be skewed`);
    }
    const ceilings: ConsumerResult[] = [];
    const baselines: ConsumerResult[] = [];
    const enhancers: ConsumerResult[] = [];
    const scaled: ThroughputResult[] = [];
    const quiet: ThroughputResult[] = [];
    const traced: ThroughputResult[] = [];
    const onlyOther = o.ingestOnly || o.context.only;
    for (let round = 1; round <= (onlyOther ? 0 : o.rounds); round++) {
      const rid = `${id}r${round}`;
      if (!o.skipCeiling) {
        log(`round ${round}/${o.rounds}: ceiling: preparing its queue`);
        ceilings.push(await measure(prepareCeiling(o, rid, cleanup), o, log, abort.signal));
      }
      if (!o.skipBaseline) {
        log(`round ${round}/${o.rounds}: baseline: preparing its database and queue`);
        baselines.push(await measure(await prepareBaseline(o, rid, cleanup), o, log, abort.signal));
      }
      log(`round ${round}/${o.rounds}: enhancer: migrating its database`);
      enhancers.push(await measure(await prepareEnhancer(o, rid, cleanup), o, log, abort.signal));
      for (const n of o.scale) {
        log(`round ${round}/${o.rounds}: scale-out, ${n} enhancer process(es): migrating its database`);
        const c = await prepareEnhancer(o, `${rid}s${n}`, cleanup, 'observed', n);
        // --jobs per process: the processes start one after another, and the figures count only
        // what runs once all are attached, so the jobs taken during the ramp must not be the most.
        scaled.push(await measureThroughput(c, o, log, abort.signal, o.jobs * n));
      }
      if (o.skipOverhead) continue;
      for (const variant of ['quiet', 'traced'] as const) {
        log(`round ${round}/${o.rounds}: enhancer-${variant}: migrating its database`);
        const c = await prepareEnhancer(o, rid, cleanup, variant);
        (variant === 'quiet' ? quiet : traced).push(await measureThroughput(c, o, log, abort.signal));
      }
    }
    const ingest =
      o.skipIngest || o.context.only ? undefined : await measureIngest(o, id, cleanup, log, abort.signal);
    const context =
      o.context.skip || o.ingestOnly ? undefined : await runContextBench(o, id, cleanup, log, abort.signal);
    const contextText = context ? `\n${renderContext(context, o.context.rate)}\n` : '';
    if (!enhancers.length) {
      log(`done in ${Math.round((Date.now() - began) / 1000)} s`);
      const only = { bench: 'enhancer', at: new Date().toISOString(), node: process.version, busy: busyPct };
      process.stdout.write(
        (ingest ? `\n${renderIngest(ingest)}\n` : '') +
          contextText +
          `\n${JSON.stringify({ ...only, ...(ingest ? { ingest: ingestJson(ingest) } : {}), ...(context ? { context: contextJson(context) } : {}) })}\n`,
      );
      return 0;
    }
    const enhancer = medianResult(enhancers);
    const perRound = (others: readonly ConsumerResult[]) =>
      others.map((x, i) => enhancers[i]!.throughputJps / x.throughputJps);
    const results: MainResults = {
      enhancer,
      baseline: baselines.length ? medianResult(baselines) : undefined,
      ceiling: ceilings.length ? medianResult(ceilings) : undefined,
      perRound: { vsBaseline: perRound(baselines), vsCeiling: perRound(ceilings) },
    };
    log(`done in ${Math.round((Date.now() - began) / 1000)} s`);
    const overhead = quiet.length ? overheadOf(quiet, enhancers, traced) : undefined;
    const scale = scaled.length ? scaleOf(scaled) : undefined;
    const cpuRows = [
      ...(results.ceiling ? [{ name: 'ceiling', cpu: results.ceiling.cpu }] : []),
      ...(results.baseline ? [{ name: 'naive', cpu: results.baseline.cpu }] : []),
      { name: 'enhancer', cpu: enhancer.cpu },
    ];
    process.stdout.write(
      `\n${renderTable(o, busyPct, results)}\n` +
        `\n${renderCpu(cpuRows)}\n` +
        (scale ? `\n${renderScale(scale, results.ceiling?.throughputJps)}\n` : '') +
        (overhead ? `\n${renderOverhead(overhead)}\n` : '') +
        (ingest ? `\n${renderIngest(ingest)}\n` : '') +
        contextText +
        `\n${renderJson(o, busyPct, results, { overhead, scale, ingest: ingest && ingestJson(ingest), context: context && contextJson(context) })}\n`,
    );
    return 0;
  } catch (err) {
    log(`FAILED: ${(err as Error).message}`);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
    const cleaned = await cleanup.run();
    if (!cleaned) process.exitCode = 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (err: unknown) => {
    log(`FAILED: ${(err as Error).message}`);
    process.exitCode = 2;
  },
);
