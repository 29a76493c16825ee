/**
 * `npm run bench`: enhancer's worker against a naive amqplib + pg consumer, on the same load, each
 * with its own queue and database (created here and removed at the end, even on failure). Progress
 * goes to stderr; stdout gets the table, then one JSON line.
 */
import { randomBytes } from 'node:crypto';
import { parseBenchArgs, usage } from './args';
import { Cleanup } from './cleanup';
import { prepareBaseline, prepareEnhancer } from './consumers';
import { BUSY_WARNING_PCT, machineBusyPct } from './machine-load';
import { measure, measureThroughput, type ConsumerResult, type ThroughputResult } from './measure';
import { overheadOf, renderOverhead } from './overhead';
import { medianResult } from './rounds';
import { renderJson, renderTable } from './report';
import { measureIngest } from './ingest';
import { ingestJson, renderIngest } from './ingest-report';
import { runContextBench } from './context/index';
import { contextJson, renderContext } from './context/report';

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
    const baselines: ConsumerResult[] = [];
    const enhancers: ConsumerResult[] = [];
    const quiet: ThroughputResult[] = [];
    const traced: ThroughputResult[] = [];
    const onlyOther = o.ingestOnly || o.context.only;
    for (let round = 1; round <= (onlyOther ? 0 : o.rounds); round++) {
      const rid = `${id}r${round}`;
      if (!o.skipBaseline) {
        log(`round ${round}/${o.rounds}: baseline: preparing its database and queue`);
        baselines.push(await measure(await prepareBaseline(o, rid, cleanup), o, log, abort.signal));
      }
      log(`round ${round}/${o.rounds}: enhancer: migrating its database`);
      enhancers.push(await measure(await prepareEnhancer(o, rid, cleanup), o, log, abort.signal));
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
    const baseline = baselines.length ? medianResult(baselines) : undefined;
    const enhancer = medianResult(enhancers);
    const ratios = baselines.map((b, i) => enhancers[i]!.throughputJps / b.throughputJps);
    log(`done in ${Math.round((Date.now() - began) / 1000)} s`);
    const overhead = quiet.length ? overheadOf(quiet, enhancers, traced) : undefined;
    process.stdout.write(
      `\n${renderTable(o, busyPct, enhancer, baseline, ratios)}\n` +
        (overhead ? `\n${renderOverhead(overhead)}\n` : '') +
        (ingest ? `\n${renderIngest(ingest)}\n` : '') +
        contextText +
        `\n${renderJson(o, busyPct, enhancer, baseline, ratios, overhead, ingest && ingestJson(ingest), context && contextJson(context))}\n`,
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
