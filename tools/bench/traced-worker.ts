/**
 * The worker with tracing on and a span exporter that drops every batch: spans are still created,
 * recorded and handed to the SDK's batch processor, so the bench measures tracing's cost without a
 * collector's. Prints the span count to stderr at exit, so a run shows tracing really was on.
 */
import { ExportResultCode } from '@opentelemetry/core';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { loadConfig } from '../../src/config/load.js';
import { serveWorker } from '../../src/worker/serve.js';

let spans = 0;
const dropAll: SpanExporter = {
  export(batch, done) {
    spans += batch.length;
    done({ code: ExportResultCode.SUCCESS });
  },
  shutdown: () => Promise.resolve(),
};

serveWorker(loadConfig(), { traceExporter: dropAll }).then(
  (code) => {
    process.stderr.write(`traced-worker: ${spans} spans exported\n`);
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`traced-worker: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
