import {
  ChatError,
  type ChatAnswer,
  type ChatFailure,
  type ChatModel,
  type ChatRequest,
} from '../../../../src/pipeline/synthesis/chat-model.js';
import {
  COMPLAINT_INTERVAL_MS,
  Synthesizer,
  cleanNote,
} from '../../../../src/pipeline/synthesis/synthesize.js';
import type { Context } from '../../../../src/pipeline/context/types.js';
import { FakeClock } from '../../../helpers/fake-clock.js';
import { enhanceContext } from '../../../helpers/enhance-context.js';
import { RecordingLogger } from '../../../helpers/fakes.js';
import { validJob } from '../../../helpers/jobs.js';

class FakeModel implements ChatModel {
  readonly model = 'test-model';
  readonly requests: ChatRequest[] = [];
  answer: (req: ChatRequest) => Promise<ChatAnswer> = () =>
    Promise.resolve({
      text: 'LLM note\n- line',
      model: 'test-model-0613',
      promptTokens: 100,
      completionTokens: 20,
    });
  complete(req: ChatRequest): Promise<ChatAnswer> {
    this.requests.push(req);
    return this.answer(req);
  }
}

const context: Context = { similar_tickets: [], kb_articles: [], ip_assets: [] };

function setup() {
  const clock = new FakeClock(10_000);
  const model = new FakeModel();
  const counts: string[] = [];
  const synth = new Synthesizer({
    model,
    clock,
    timeoutMs: 30_000,
    maxTokens: 500,
    temperature: 0.2,
    noteMaxChars: 100,
    metrics: {
      llmRequest: (o) => counts.push(o),
      llmTokensUsed: (kind, n) => counts.push(`${kind}:${n}`),
    },
  });
  const log = new RecordingLogger();
  const ctx = enhanceContext({ log, deadlineAt: 200_000 });
  return { clock, model, counts, synth, log, ctx };
}

describe('Synthesizer', () => {
  it("uses the model's note and records model, tokens and time", async () => {
    const { model, counts, synth, ctx, clock } = setup();
    model.answer = () => {
      clock.advance(1234);
      return Promise.resolve({
        text: 'LLM note\n- line',
        model: 'test-model-0613',
        promptTokens: 100,
        completionTokens: 20,
      });
    };
    const out = await synth.write(validJob(), context, 'extractive', ctx, 200_000);
    expect(out).toEqual({
      note: 'LLM note\n- line',
      synthesis: {
        kind: 'llm',
        model: 'test-model-0613',
        prompt_tokens: 100,
        completion_tokens: 20,
        ms: 1234,
      },
    });
    expect(counts).toEqual(['prompt:100', 'completion:20', 'ok']);
    expect(model.requests[0]).toMatchObject({ maxTokens: 500, temperature: 0.2, timeoutMs: 30_000 });
    expect(model.requests[0]!.signal).toBe(ctx.signal);
  });

  it('never lets the call outlive what is left before `until`', async () => {
    const { model, synth, ctx } = setup();
    await synth.write(validJob(), context, 'extractive', ctx, 15_000);
    expect(model.requests[0]!.timeoutMs).toBe(5_000);
  });

  it('does not call the model with less than a second left', async () => {
    const { model, synth, ctx } = setup();
    const out = await synth.write(validJob(), context, 'extractive', ctx, 10_900);
    expect(model.requests).toHaveLength(0);
    expect(out).toEqual({
      note: 'extractive',
      synthesis: { kind: 'extractive', fallback_reason: 'no_time' },
    });
  });

  it.each<ChatFailure>(['timeout', 'rate_limited', 'server_error', 'connection', 'bad_request'])(
    'falls back to the extractive note on %s, with the reason',
    async (kind) => {
      const { model, counts, synth, ctx, log } = setup();
      model.answer = () => Promise.reject(new ChatError(kind, 'x'));
      const out = await synth.write(validJob(), context, 'extractive', ctx, 200_000);
      expect(out).toEqual({ note: 'extractive', synthesis: { kind: 'extractive', fallback_reason: kind } });
      expect(counts).toEqual([kind]);
      expect(log.lines.map((l) => l.level)).toEqual(['warn']);
    },
  );

  it('falls back on an empty answer, and on anything that is not a ChatError', async () => {
    const { model, synth, ctx } = setup();
    model.answer = () =>
      Promise.resolve({ text: ' \n\u0000 ', model: 'm', promptTokens: 1, completionTokens: 0 });
    expect((await synth.write(validJob(), context, 'x', ctx, 200_000)).synthesis).toEqual({
      kind: 'extractive',
      fallback_reason: 'empty',
    });
    model.answer = () => Promise.reject(new TypeError('boom'));
    expect((await synth.write(validJob(), context, 'x', ctx, 200_000)).synthesis).toEqual({
      kind: 'extractive',
      fallback_reason: 'error',
    });
  });

  it('logs a bad key or model at error once a minute, and counts every one', async () => {
    const { model, counts, synth, ctx, log, clock } = setup();
    model.answer = () => Promise.reject(new ChatError('auth', 'x', 401));
    await synth.write(validJob(), context, 'x', ctx, 200_000);
    await synth.write(validJob(), context, 'x', ctx, 200_000);
    model.answer = () => Promise.reject(new ChatError('not_found', 'x', 404));
    await synth.write(validJob(), context, 'x', ctx, 200_000);
    expect(log.lines.filter((l) => l.level === 'error')).toHaveLength(1);
    expect(log.lines[0]!.fields).toMatchObject({ reason: 'auth', status: 401, model: 'test-model' });
    clock.advance(COMPLAINT_INTERVAL_MS);
    await synth.write(validJob(), context, 'x', ctx, 400_000);
    expect(log.lines.filter((l) => l.level === 'error')).toHaveLength(2);
    expect(counts).toEqual(['auth', 'auth', 'not_found', 'not_found']);
  });

  it('cuts an answer over NOTE_MAX_CHARS and says so', async () => {
    const { model, synth, ctx } = setup();
    model.answer = () =>
      Promise.resolve({ text: 'word '.repeat(100), model: 'm', promptTokens: 1, completionTokens: 1 });
    const out = await synth.write(validJob(), context, 'x', ctx, 200_000);
    expect(out.note.length).toBeLessThanOrEqual(100);
    expect(out.synthesis).toMatchObject({ kind: 'llm', truncated: true });
  });

  it('gives up with the attempt: an aborted attempt is not a fallback', async () => {
    const { model, synth } = setup();
    const attempt = new AbortController();
    const reason = new Error('attempt aborted: shutdown');
    model.answer = () => {
      attempt.abort(reason);
      return Promise.reject(new ChatError('aborted', 'aborted'));
    };
    await expect(
      synth.write(validJob(), context, 'x', enhanceContext({ signal: attempt.signal }), 200_000),
    ).rejects.toBe(reason);
  });
});

describe('cleanNote', () => {
  it('keeps line breaks, drops control and bidi characters, shortens blank runs', () => {
    expect(cleanNote('a\r\nb\u0007\u202e\n\n\n\nc  \nd', 1000)).toEqual({
      text: 'a\nb\n\nc\nd',
      truncated: false,
    });
  });

  it('cuts at a line near the end when there is one', () => {
    const text = `${'x'.repeat(80)}\n${'y'.repeat(80)}`;
    expect(cleanNote(text, 100)).toEqual({ text: `${'x'.repeat(80)}…`, truncated: true });
  });
});
