import net from 'node:net';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { OpenAiChat } from '../../src/adapters/llm/openai-chat.js';
import { SdpClient, retryAfter } from '../../src/adapters/servicedesk/sdp-client.js';
import { startFakeModel, type FakeModel } from '../../tools/fakes/openai-server.js';
import { startFakeServiceDesk, type FakeServiceDesk } from '../../tools/fakes/servicedesk-server.js';
import type { ChatRequest } from '../../src/pipeline/synthesis/chat-model.js';
import type { ServiceDeskTarget } from '../../src/tenants/tenants.js';

/** A port nothing listens on (fetch refuses well-known blocked ports such as 9 outright). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const request = (over: Partial<ChatRequest> = {}): ChatRequest => ({
  system: 'sys',
  user: 'usr',
  maxTokens: 50,
  temperature: 0.2,
  signal: new AbortController().signal,
  timeoutMs: 2_000,
  ...over,
});

describe('OpenAiChat against an OpenAI-compatible server', () => {
  let model: FakeModel;
  beforeAll(async () => {
    model = await startFakeModel();
  });
  afterAll(() => model.close());

  it('sends the system and user messages, the model, limits and key; reads text and usage', async () => {
    const chat = new OpenAiChat({ baseUrl: model.baseUrl, apiKey: 'sk-test-key', model: 'tiny' });
    model.next.push({ kind: 'answer', text: 'the note' });
    expect(await chat.complete(request())).toEqual({
      text: 'the note',
      model: 'tiny',
      promptTokens: 321,
      completionTokens: 45,
    });
    expect(model.calls.at(-1)).toEqual({
      model: 'tiny',
      messages: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: 'usr' },
      ],
      maxTokens: 50,
      temperature: 0.2,
      authorization: 'Bearer sk-test-key',
    });
  });

  it.each([
    [429, 'rate_limited'],
    [500, 'server_error'],
    [503, 'server_error'],
    [401, 'auth'],
    [403, 'auth'],
    [404, 'not_found'],
    [400, 'bad_request'],
  ])('maps %i to %s, once (no retry of its own), with no key in the message', async (status, kind) => {
    const chat = new OpenAiChat({ baseUrl: model.baseUrl, apiKey: 'sk-secret-key', model: 'tiny' });
    const before = model.calls.length;
    model.next.push({ kind: 'status', status });
    const err = await chat.complete(request()).catch((e: Error) => e);
    expect(err).toMatchObject({ name: 'ChatError', kind, status });
    expect(model.calls.length - before).toBe(1);
    expect(JSON.stringify(err) + (err as Error).message).not.toContain('sk-secret-key');
  });

  it('maps an unreadable body to server_error', async () => {
    const chat = new OpenAiChat({ baseUrl: model.baseUrl, model: 'tiny' });
    model.next.push({ kind: 'garbage' });
    await expect(chat.complete(request())).rejects.toMatchObject({ kind: 'server_error' });
  });

  it('maps a silent server to timeout', async () => {
    const chat = new OpenAiChat({ baseUrl: model.baseUrl, model: 'tiny' });
    model.next.push({ kind: 'hang' });
    const err = await chat.complete(request({ timeoutMs: 300 })).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'timeout' });
  });

  it('stops when the attempt is aborted', async () => {
    const chat = new OpenAiChat({ baseUrl: model.baseUrl, model: 'tiny' });
    const attempt = new AbortController();
    model.next.push({ kind: 'hang' });
    const call = chat.complete(request({ signal: attempt.signal, timeoutMs: 10_000 }));
    setTimeout(() => attempt.abort(new Error('deadline')), 100);
    await expect(call).rejects.toMatchObject({ kind: 'aborted' });
  });

  it('maps a refused connection to connection', async () => {
    const chat = new OpenAiChat({ baseUrl: `http://127.0.0.1:${await closedPort()}/v1`, model: 'tiny' });
    await expect(chat.complete(request())).rejects.toMatchObject({ kind: 'connection' });
  });
});

describe('SdpClient against a ServiceDesk Plus v3 API', () => {
  let sdp: FakeServiceDesk;
  let dir: string;
  const client = new SdpClient();
  const opts = () => ({ signal: new AbortController().signal, timeoutMs: 2_000 });
  const target = (over: Partial<ServiceDeskTarget> = {}): ServiceDeskTarget => ({
    url: sdp.url,
    auth: 'authtoken',
    token: { value: 'tech-key' },
    ...over,
  });

  beforeAll(async () => {
    sdp = await startFakeServiceDesk();
    dir = await mkdtemp(path.join(os.tmpdir(), 'sdp-'));
  });
  afterAll(async () => {
    await sdp.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('adds a note as the v3 API wants it and lists it back, newest first', async () => {
    const first = await client.addNote(target(), 'R 1/x', '<p>one</p>', opts());
    const second = await client.addNote(target(), 'R 1/x', '<p>two</p>', opts());
    const stored = sdp.notes.at(-1)!;
    expect(stored).toMatchObject({ requestId: 'R 1/x', description: '<p>two</p>' });
    expect(stored.fields).toEqual({
      description: '<p>two</p>',
      show_to_requester: false,
      notify_technician: false,
      mark_first_response: false,
      add_to_linked_requests: false,
    });
    expect(sdp.auth.at(-1)).toBe('tech-key');
    const listed = await client.listNotes(target(), 'R 1/x', opts());
    expect(listed.map((n) => n.id)).toEqual([second.id, first.id]);
  });

  it('reads notes one by one when the list leaves their text out', async () => {
    await client.addNote(target(), 'R-bare', '<p>ours: enhancer job x</p>', opts());
    sdp.listWithoutText = true;
    try {
      const listed = await client.listNotes(target(), 'R-bare', opts());
      expect(listed.map((n) => n.description)).toEqual(['<p>ours: enhancer job x</p>']);
    } finally {
      sdp.listWithoutText = false;
    }
  });

  it('sends a Zoho OAuth token read from its file at each call', async () => {
    const file = path.join(dir, 'token');
    await writeFile(file, 'zoho-one\n');
    await client.addNote(target({ auth: 'zoho-oauthtoken', token: { file } }), '7', 'x', opts());
    expect(sdp.auth.at(-1)).toBe('Zoho-oauthtoken zoho-one');
    await writeFile(file, 'zoho-two');
    await client.addNote(target({ auth: 'zoho-oauthtoken', token: { file } }), '7', 'x', opts());
    expect(sdp.auth.at(-1)).toBe('Zoho-oauthtoken zoho-two');
  });

  it.each([
    [{ kind: 'status', status: 500 }, 'server_error'],
    [{ kind: 'status', status: 401 }, 'auth'],
    [{ kind: 'status', status: 404 }, 'not_found'],
    [{ kind: 'status', status: 400 }, 'rejected'],
    [{ kind: 'refuse', message: 'Invalid input' }, 'rejected'],
    [{ kind: 'accept-then-cut' }, 'ambiguous'],
  ] as const)('turns %j into %s', async (behaviour, kind) => {
    sdp.next.push(behaviour);
    await expect(client.addNote(target(), '8', 'x', opts())).rejects.toMatchObject({
      name: 'HelpdeskError',
      kind,
    });
  });

  it('reads Retry-After of a 429, and times out a silent helpdesk', async () => {
    sdp.next.push({ kind: 'status', status: 429, retryAfter: '7' });
    await expect(client.addNote(target(), '8', 'x', opts())).rejects.toMatchObject({
      kind: 'rate_limited',
      extra: { status: 429, retryAfterMs: 7000 },
    });
    sdp.next.push({ kind: 'hang' });
    await expect(client.addNote(target(), '8', 'x', { ...opts(), timeoutMs: 200 })).rejects.toMatchObject({
      kind: 'timeout',
    });
  });

  it('calls a refused connection a connection failure (nothing was sent)', async () => {
    await expect(
      client.addNote(target({ url: `http://127.0.0.1:${await closedPort()}` }), '8', 'x', opts()),
    ).rejects.toMatchObject({
      kind: 'connection',
    });
  });

  it('parses Retry-After as seconds or a date', () => {
    expect(retryAfter('3')).toBe(3000);
    expect(retryAfter(new Date(61_000).toUTCString(), 1_000)).toBe(60_000);
    expect(retryAfter('soon')).toBeUndefined();
    expect(retryAfter(null)).toBeUndefined();
  });
});
