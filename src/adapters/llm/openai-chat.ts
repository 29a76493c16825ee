import OpenAI from 'openai';
import {
  ChatError,
  type ChatAnswer,
  type ChatModel,
  type ChatRequest,
} from '../../pipeline/synthesis/chat-model.js';

export interface OpenAiChatOptions {
  /** LLM_BASE_URL: OpenAI, or any compatible server (vLLM, Ollama, llama.cpp, a gateway). */
  readonly baseUrl: string;
  /** LLM_API_KEY (or the content of LLM_API_KEY_FILE); local servers usually need none. */
  readonly apiKey?: string;
  readonly model: string;
}

/**
 * The chat port on the official `openai` client. It never retries by itself (a retry would spend the
 * attempt's time; the pipeline falls back to the extractive note instead) and its errors become
 * ChatErrors that carry no request or key.
 */
export class OpenAiChat implements ChatModel {
  readonly model: string;
  private readonly client: OpenAI;

  constructor(opts: OpenAiChatOptions) {
    this.model = opts.model;
    this.client = new OpenAI({
      baseURL: opts.baseUrl,
      // The client insists on a key; servers that want none ignore this one.
      apiKey: opts.apiKey ?? 'none',
      maxRetries: 0,
    });
  }

  async complete(req: ChatRequest): Promise<ChatAnswer> {
    let answer: OpenAI.Chat.Completions.ChatCompletion;
    // Our own timer, so a timeout is told apart from other failures whatever the client infers.
    const timeout = AbortSignal.timeout(req.timeoutMs);
    try {
      answer = await this.client.chat.completions.create(
        {
          model: this.model,
          messages: [
            { role: 'system', content: req.system },
            { role: 'user', content: req.user },
          ],
          max_tokens: req.maxTokens,
          temperature: req.temperature,
        },
        { signal: AbortSignal.any([req.signal, timeout]), timeout: req.timeoutMs + 1_000, maxRetries: 0 },
      );
    } catch (err) {
      if (req.signal.aborted) throw new ChatError('aborted', 'aborted');
      if (timeout.aborted) throw new ChatError('timeout', `no answer within ${req.timeoutMs} ms`);
      throw toChatError(err);
    }
    return {
      text: answer.choices?.[0]?.message?.content ?? '',
      model: answer.model ?? this.model,
      promptTokens: answer.usage?.prompt_tokens ?? 0,
      completionTokens: answer.usage?.completion_tokens ?? 0,
    };
  }
}

function toChatError(err: unknown): ChatError {
  if (err instanceof OpenAI.APIConnectionTimeoutError) return new ChatError('timeout', 'no answer in time');
  if (err instanceof OpenAI.APIConnectionError)
    return new ChatError('connection', 'could not reach the server');
  if (err instanceof OpenAI.APIError && typeof err.status === 'number') {
    const s = err.status;
    const kind =
      s === 429
        ? 'rate_limited'
        : s >= 500
          ? 'server_error'
          : s === 401 || s === 403
            ? 'auth'
            : s === 404
              ? 'not_found'
              : 'bad_request';
    return new ChatError(kind, `the server answered ${s}`, s);
  }
  // A body that is not a chat completion (a proxy's HTML page, garbage): treated as a server fault.
  return new ChatError('server_error', 'the answer could not be read');
}
