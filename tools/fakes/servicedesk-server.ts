import { URL } from 'node:url';
import { listen, readBody, sendJson, type FakeServer } from './http-fake.js';

export interface RecordedNote {
  readonly id: string;
  readonly requestId: string;
  readonly description: string;
  readonly fields: Record<string, unknown>;
}

/**
 * What the fake does with the next add-note request: store and answer; store the note and then cut the
 * connection, or never answer (the ambiguous cases); answer a status without storing; never answer.
 */
export type NoteBehaviour =
  | { readonly kind: 'ok' }
  | { readonly kind: 'accept-then-cut' }
  | { readonly kind: 'accept-then-hang' }
  | { readonly kind: 'status'; readonly status: number; readonly retryAfter?: string }
  | { readonly kind: 'refuse'; readonly message: string }
  | { readonly kind: 'hang' };

export interface FakeServiceDesk extends FakeServer {
  /** Every note stored, in order. */
  readonly notes: RecordedNote[];
  /** The auth headers each request carried. */
  readonly auth: string[];
  readonly next: NoteBehaviour[];
  /** What the next list calls answer instead of the notes (a status), taken first. */
  readonly nextList: number[];
  /** Request ids that exist (any, when empty). */
  readonly requests: Set<string>;
  /** Lists notes without their text, as some ServiceDesk Plus versions do. */
  listWithoutText?: boolean;
  /** The token the fake accepts (`authtoken` header or `Zoho-oauthtoken`); any when undefined. */
  token?: string;
}

/** ServiceDesk Plus's v3 notes API, as far as the write-back uses it; it records every note. */
export async function startFakeServiceDesk(): Promise<FakeServiceDesk> {
  const notes: RecordedNote[] = [];
  const auth: string[] = [];
  const next: NoteBehaviour[] = [];
  const nextList: number[] = [];
  const requests = new Set<string>();
  let seq = 1000;
  const fake: { token?: string; listWithoutText?: boolean } = {};
  const server = await listen((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const m = /^\/api\/v3\/requests\/([^/]+)\/notes(?:\/([^/]+))?$/.exec(url.pathname);
      const given = String(req.headers.authtoken ?? req.headers.authorization ?? '');
      auth.push(given);
      if (!m)
        return sendJson(res, 404, {
          response_status: { status_code: 4000, messages: [{ message: 'no such path' }] },
        });
      if (req.headers.accept !== 'application/vnd.manageengine.sdp.v3+json') return sendJson(res, 406, {});
      if (fake.token !== undefined && given !== fake.token && given !== `Zoho-oauthtoken ${fake.token}`) {
        return sendJson(res, 401, {
          response_status: { status_code: 4000, messages: [{ message: 'invalid authtoken' }] },
        });
      }
      const requestId = decodeURIComponent(m[1]!);
      if (requests.size > 0 && !requests.has(requestId)) {
        return sendJson(res, 404, {
          response_status: { status_code: 4000, messages: [{ message: 'request not found' }] },
        });
      }
      if (req.method === 'GET') {
        const failWith = m[2] ? undefined : nextList.shift();
        if (failWith) return sendJson(res, failWith, { response_status: { status_code: 4000 } });
        const mine = notes.filter((n) => n.requestId === requestId).reverse();
        if (m[2]) {
          const one = mine.find((n) => n.id === m[2]);
          return one
            ? sendJson(res, 200, {
                request_note: { id: one.id, description: one.description },
                response_status: { status_code: 2000 },
              })
            : sendJson(res, 404, {});
        }
        return sendJson(res, 200, {
          notes: mine.map((n) =>
            fake.listWithoutText ? { id: n.id } : { id: n.id, description: n.description },
          ),
          list_info: { has_more_rows: false },
          response_status: [{ status_code: 2000, status: 'success' }],
        });
      }
      const form = new URLSearchParams(await readBody(req));
      const input = JSON.parse(form.get('input_data') ?? '{}') as { request_note?: Record<string, unknown> };
      const b = next.shift() ?? { kind: 'ok' };
      if (b.kind === 'hang') return;
      if (b.kind === 'status') {
        return sendJson(
          res,
          b.status,
          { response_status: { status_code: 4000, messages: [{ message: `status ${b.status}` }] } },
          b.retryAfter ? { 'retry-after': b.retryAfter } : {},
        );
      }
      if (b.kind === 'refuse') {
        return sendJson(res, 200, {
          response_status: { status_code: 4000, status: 'failed', messages: [{ message: b.message }] },
        });
      }
      const note: RecordedNote = {
        id: String(++seq),
        requestId,
        description:
          typeof input.request_note?.description === 'string' ? input.request_note.description : '',
        fields: input.request_note ?? {},
      };
      notes.push(note);
      if (b.kind === 'accept-then-cut') return req.socket.destroy();
      if (b.kind === 'accept-then-hang') return;
      sendJson(res, 201, {
        request_note: { id: note.id, description: note.description },
        response_status: { status_code: 2000, status: 'success' },
      });
    })();
  });
  // The handler reads `fake.token`, so the returned object must be that very object.
  return Object.assign(fake, server, { notes, auth, next, nextList, requests });
}
