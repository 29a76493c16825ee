import { listen, readBody, sendJson, type FakeServer } from './http-fake.js';

/** What the fake model does with the next request. */
export type ModelBehaviour =
  | { readonly kind: 'answer'; readonly text?: string; readonly delayMs?: number }
  | { readonly kind: 'status'; readonly status: number }
  | { readonly kind: 'garbage' }
  | { readonly kind: 'hang' };

export interface ChatCall {
  readonly model: string;
  readonly messages: { role: string; content: string }[];
  readonly maxTokens?: number;
  readonly temperature?: number;
  readonly authorization?: string;
}

export interface FakeModel extends FakeServer {
  /** The base URL to give as LLM_BASE_URL. */
  readonly baseUrl: string;
  readonly calls: ChatCall[];
  /** The default behaviour, and one-off behaviours for the next requests (taken first). */
  behaviour: ModelBehaviour;
  readonly next: ModelBehaviour[];
  /** Writes the answer from the user message, when an `answer` behaviour gives no text. */
  reply?: (user: string) => string;
}

/**
 * An OpenAI-compatible chat completions endpoint (POST {base}/chat/completions) that answers as told.
 * The default answer quotes what it was given, so a test can see the prompt made it through.
 */
export async function startFakeModel(behaviour: ModelBehaviour = { kind: 'answer' }): Promise<FakeModel> {
  const calls: ChatCall[] = [];
  const next: ModelBehaviour[] = [];
  const state: { behaviour: ModelBehaviour; reply?: (user: string) => string } = { behaviour };
  const server = await listen((req, res) => {
    void (async () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) return sendJson(res, 404, {});
      const body = JSON.parse(await readBody(req)) as {
        model: string;
        messages: ChatCall['messages'];
        max_tokens?: number;
        temperature?: number;
      };
      calls.push({
        model: body.model,
        messages: body.messages,
        maxTokens: body.max_tokens,
        temperature: body.temperature,
        authorization: req.headers.authorization,
      });
      const b = next.shift() ?? state.behaviour;
      if (b.kind === 'hang') return; // the client's timeout is what ends it
      if (b.kind === 'status') return sendJson(res, b.status, { error: { message: `status ${b.status}` } });
      if (b.kind === 'garbage') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end('<html>gateway says hi');
      }
      if (b.delayMs) await new Promise((r) => setTimeout(r, b.delayMs));
      const user = body.messages.at(-1)?.content ?? '';
      const text =
        b.text ??
        state.reply?.(user) ??
        `Summary for the technician: ${user.length} characters of data read.`;
      sendJson(res, 200, {
        id: 'chatcmpl-fake',
        object: 'chat.completion',
        created: 0,
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 321, completion_tokens: 45, total_tokens: 366 },
      });
    })();
  });
  return {
    ...server,
    baseUrl: `${server.url}/v1`,
    calls,
    next,
    get behaviour() {
      return state.behaviour;
    },
    set behaviour(b: ModelBehaviour) {
      state.behaviour = b;
    },
    get reply() {
      return state.reply;
    },
    set reply(fn: ((user: string) => string) | undefined) {
      state.reply = fn;
    },
  };
}
