/**
 * The language-model port: one chat completion. The adapter (src/adapters/llm) speaks the
 * OpenAI-compatible API; tests pass a fake. Every failure is a ChatError whose `kind` says what
 * happened, so the synthesis can decide without knowing the client library.
 */
export interface ChatRequest {
  readonly system: string;
  readonly user: string;
  readonly maxTokens: number;
  readonly temperature: number;
  /** The attempt's signal: the call stops when the attempt does. */
  readonly signal: AbortSignal;
  /** The call's own bound, already cut to what is left of the attempt. */
  readonly timeoutMs: number;
}

export interface ChatAnswer {
  readonly text: string;
  /** The model that answered, as the server names it. */
  readonly model: string;
  readonly promptTokens: number;
  readonly completionTokens: number;
}

export interface ChatModel {
  /** The configured model (LLM_MODEL). */
  readonly model: string;
  complete(request: ChatRequest): Promise<ChatAnswer>;
}

/**
 * timeout: no answer in time; rate_limited: 429; server_error: 5xx; connection: could not talk to it;
 * auth: 401/403 (bad key); not_found: 404 (bad model or URL); bad_request: 400/422 (e.g. too long);
 * aborted: the attempt was aborted (deadline, shutdown).
 */
export type ChatFailure =
  | 'timeout'
  | 'rate_limited'
  | 'server_error'
  | 'connection'
  | 'auth'
  | 'not_found'
  | 'bad_request'
  | 'aborted';

export class ChatError extends Error {
  override readonly name = 'ChatError';
  constructor(
    readonly kind: ChatFailure,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}
