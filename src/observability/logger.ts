import os from 'node:os';
import winston from 'winston';
import { redactSecrets } from '../lib/redact.js';
import { TurnBuffer } from './turn-buffer.js';

export type Fields = Record<string, unknown>;

/** The logging port: a level method per severity, and `child` to stamp fields on every line. */
export interface Logger {
  error(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  debug(msg: string, fields?: Fields): void;
  child(fields: Fields): Logger;
}

export interface LoggerOptions {
  readonly level: 'error' | 'warn' | 'info' | 'debug';
  readonly format: 'json' | 'pretty';
  readonly pod?: string;
  readonly service?: string;
  /** Where lines go; stdout by default (what `kubectl logs` reads). */
  readonly stream?: NodeJS.WritableStream;
}

/**
 * No password leaves in a log line: an error message may quote a connection string (a driver's, or
 * ours). Top-level string fields and the message are scrubbed; lines carry no nested free text.
 */
const redacted = winston.format((info) => {
  for (const [k, v] of Object.entries(info)) {
    if (typeof v === 'string') info[k] = redactSecrets(v);
  }
  return info;
});

const jsonLine = winston.format((info) => {
  const { level, message, timestamp: _t, ...rest } = info;
  info[Symbol.for('message')] = JSON.stringify({
    ts: new Date().toISOString(),
    level,
    msg: message,
    ...rest,
  });
  return info;
});

const prettyLine = winston.format((info) => {
  const { level, message, service: _s, pod: _p, ...rest } = info;
  const extra = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  info[Symbol.for('message')] =
    `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${String(message)} ${extra}`;
  return info;
});

/** One JSON object a line on stdout (or a readable line with LOG_FORMAT=pretty). */
export function createLogger(opts: LoggerOptions): Logger {
  const w = winston.createLogger({
    level: opts.level,
    defaultMeta: { service: opts.service ?? 'enhancer', pod: opts.pod ?? os.hostname() },
    format: winston.format.combine(redacted(), opts.format === 'pretty' ? prettyLine() : jsonLine()),
    transports: [new winston.transports.Stream({ stream: new TurnBuffer(opts.stream ?? process.stdout) })],
  });
  return wrap(w);
}

function wrap(w: winston.Logger): Logger {
  return {
    error: (msg, f) => w.error(msg, f),
    warn: (msg, f) => w.warn(msg, f),
    info: (msg, f) => w.info(msg, f),
    debug: (msg, f) => w.debug(msg, f),
    child: (fields) => wrap(w.child(fields)),
  };
}

/** A logger that drops everything (unit tests that do not look at logs). */
export const silentLogger: Logger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  child: () => silentLogger,
};
