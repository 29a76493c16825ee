import { readFile } from 'node:fs/promises';
import type { ServiceDeskTarget } from '../../tenants/tenants.js';
import {
  HelpdeskError,
  type CallOptions,
  type Helpdesk,
  type HelpdeskNote,
} from '../../pipeline/writeback/ports.js';

const ACCEPT = 'application/vnd.manageengine.sdp.v3+json';
/** Notes read when looking for an earlier one of ours: the newest first, at most this many. */
const LIST_ROWS = 100;
/** Notes fetched one by one when the list leaves their text out. */
const MAX_NOTE_FETCHES = 25;
/** Codes that mean the request never left this machine: nothing can have been posted. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * ServiceDesk Plus's v3 API for request notes, over Node's fetch. The technician key (`authtoken:`) or
 * Zoho OAuth token (`Authorization: Zoho-oauthtoken …`) is read per call (from the tenants file or its
 * token file) and never appears in an error, a log line or a span.
 */
export class SdpClient implements Helpdesk {
  async addNote(
    target: ServiceDeskTarget,
    requestId: string,
    html: string,
    opts: CallOptions,
  ): Promise<{ id: string }> {
    const inputData = {
      request_note: {
        description: html,
        show_to_requester: false,
        notify_technician: false,
        mark_first_response: false,
        add_to_linked_requests: false,
      },
    };
    const body = new URLSearchParams({ input_data: JSON.stringify(inputData) });
    const json = await this.request(target, notesPath(requestId), opts, {
      method: 'POST',
      body,
      contentType: 'application/x-www-form-urlencoded',
    });
    const id = (json.request_note as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string' && typeof id !== 'number') {
      throw new HelpdeskError('server_error', 'the answer carries no request_note.id');
    }
    return { id: String(id) };
  }

  /** Every call it makes together stays within `opts.timeoutMs` (a list, then perhaps single notes). */
  async listNotes(target: ServiceDeskTarget, requestId: string, opts: CallOptions): Promise<HelpdeskNote[]> {
    const until = Date.now() + opts.timeoutMs;
    const left = (): CallOptions => ({ signal: opts.signal, timeoutMs: Math.max(1, until - Date.now()) });
    const listInfo = {
      list_info: { row_count: LIST_ROWS, start_index: 1, sort_field: 'created_time', sort_order: 'desc' },
    };
    const query = `?input_data=${encodeURIComponent(JSON.stringify(listInfo))}`;
    const json = await this.request(target, notesPath(requestId) + query, left(), { method: 'GET' });
    const items = Array.isArray(json.notes) ? (json.notes as { id?: unknown; description?: unknown }[]) : [];
    const notes: HelpdeskNote[] = [];
    let fetched = 0;
    for (const item of items) {
      if (typeof item.id !== 'string' && typeof item.id !== 'number') continue;
      const id = String(item.id);
      let description = typeof item.description === 'string' ? item.description : undefined;
      // Some versions list notes without their text: read the newest ones whole.
      if (description === undefined && fetched++ < MAX_NOTE_FETCHES) {
        const one = await this.request(target, `${notesPath(requestId)}/${encodeURIComponent(id)}`, left(), {
          method: 'GET',
        });
        const d = (one.request_note as { description?: unknown } | undefined)?.description;
        description = typeof d === 'string' ? d : '';
      }
      notes.push({ id, description: description ?? '' });
    }
    return notes;
  }

  private async request(
    target: ServiceDeskTarget,
    path: string,
    opts: CallOptions,
    init: { method: 'GET' | 'POST'; body?: URLSearchParams; contentType?: string },
  ): Promise<Record<string, unknown>> {
    const url = new URL(path, target.url.endsWith('/') ? target.url : `${target.url}/`);
    const headers: Record<string, string> = { accept: ACCEPT, ...(await authHeader(target)) };
    if (init.contentType) headers['content-type'] = init.contentType;
    const timeout = AbortSignal.timeout(opts.timeoutMs);
    let res: Response;
    try {
      res = await fetch(url, {
        method: init.method,
        headers,
        body: init.body,
        signal: AbortSignal.any([opts.signal, timeout]),
        redirect: 'error',
      });
    } catch (err) {
      throw sendFailure(err, opts.signal, timeout, opts.timeoutMs);
    }
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(await res.text()) as Record<string, unknown>;
    } catch (err) {
      if (opts.signal.aborted || timeout.aborted)
        throw sendFailure(err, opts.signal, timeout, opts.timeoutMs);
      if (res.ok)
        throw new HelpdeskError('server_error', `answer ${res.status} is not JSON`, { status: res.status });
    }
    const status = res.status;
    const why = sdpMessage(json) ?? `HTTP ${status}`;
    if (status === 429) {
      throw new HelpdeskError('rate_limited', why, {
        status,
        retryAfterMs: retryAfter(res.headers.get('retry-after')),
      });
    }
    if (status >= 500) throw new HelpdeskError('server_error', why, { status });
    if (status === 401 || status === 403) throw new HelpdeskError('auth', why, { status });
    if (status === 404) throw new HelpdeskError('not_found', why, { status });
    if (!res.ok) throw new HelpdeskError('rejected', why, { status });
    const code = (json.response_status as { status_code?: unknown } | undefined)?.status_code;
    if (code !== undefined && code !== 2000) throw new HelpdeskError('rejected', why, { status });
    return json;
  }
}

function notesPath(requestId: string): string {
  return `api/v3/requests/${encodeURIComponent(requestId)}/notes`;
}

async function authHeader(target: ServiceDeskTarget): Promise<Record<string, string>> {
  let token: string;
  if ('value' in target.token) token = target.token.value;
  else {
    try {
      token = (await readFile(target.token.file, 'utf8')).trim();
    } catch {
      // The path is configuration, not a secret; the reason is enough to fix it.
      throw new HelpdeskError('auth', `cannot read token_file ${target.token.file}`);
    }
  }
  return target.auth === 'zoho-oauthtoken'
    ? { authorization: `Zoho-oauthtoken ${token}` }
    : { authtoken: token };
}

/** The first message ServiceDesk Plus gives in response_status, if any. */
function sdpMessage(json: Record<string, unknown>): string | undefined {
  const rs = json.response_status as { messages?: { message?: unknown }[]; status?: unknown } | undefined;
  const m = rs?.messages?.find((x) => typeof x.message === 'string')?.message;
  return typeof m === 'string' ? m.slice(0, 200) : undefined;
}

/** Retry-After in seconds or as an HTTP date. */
export function retryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function sendFailure(err: unknown, attempt: AbortSignal, timeout: AbortSignal, ms: number): Error {
  if (attempt.aborted) return attempt.reason instanceof Error ? attempt.reason : new Error('aborted');
  if (timeout.aborted) return new HelpdeskError('timeout', `no answer within ${ms} ms`);
  const code = causeCode(err);
  if (code && NOT_SENT.has(code)) return new HelpdeskError('connection', `could not connect (${code})`);
  return new HelpdeskError('ambiguous', `connection lost${code ? ` (${code})` : ''}`);
}

function causeCode(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 4; i++) {
    if (typeof e.code === 'string') return e.code;
    e = e.cause as typeof e;
  }
  return undefined;
}
