import { EventEmitter } from 'node:events';
import type { ChannelModel } from 'amqplib';
import { AmqpLink } from '../../../../src/adapters/amqp/link.js';
import { AmqpSession } from '../../../../src/adapters/amqp/session.js';
import { DEFAULTS } from '../../../../src/config/schema.js';
import { deferred, flushMicrotasks, type Deferred } from '../../../helpers/deferred.js';
import { FakeClock } from '../../../helpers/fake-clock.js';
import { RecordingLogger } from '../../../helpers/fakes.js';

/** The connection under a link, as far as AmqpLink listens to it. */
class FakeConnection extends EventEmitter {
  closes = 0;
  close(): Promise<void> {
    this.closes++;
    return Promise.resolve();
  }
}

/** A session whose connect tries the test answers one by one. */
function sessionWorld() {
  const clock = new FakeClock(1_000);
  const log = new RecordingLogger();
  const tries: Deferred<AmqpLink>[] = [];
  const session = new AmqpSession({
    url: 'amqp://guest:secret@broker',
    connectionName: 'test',
    bounds: DEFAULTS.amqp,
    topology: { exchanges: [], queues: [], bindings: [] },
    reconnect: { baseMs: 100, maxDelayMs: 400, jitter: 0.5 },
    random: () => 0,
    clock,
    log,
    open: () => {
      const d = deferred<AmqpLink>();
      tries.push(d);
      return d.promise;
    },
  });
  const events: string[] = [];
  session.subscribe({
    up: () => events.push('up'),
    down: (_link, err) => {
      events.push(`down: ${err.message}`);
      return { jobs_held: 3 };
    },
  });
  /** Answers the latest try with a new link on a fake connection. */
  const succeed = () => {
    const conn = new FakeConnection();
    const link = new AmqpLink(conn as unknown as ChannelModel, clock);
    tries[tries.length - 1]!.resolve(link);
    return { conn, link };
  };
  const fail = (message = 'connect ECONNREFUSED') => tries[tries.length - 1]!.reject(new Error(message));
  const msgs = () => log.lines.map((l) => l.msg);
  return { clock, log, tries, session, events, succeed, fail, msgs };
}

describe('AmqpSession', () => {
  it('tries the first connection at once, then backs off, logging each failure', async () => {
    const { clock, session, tries, succeed, fail, log, events } = sessionWorld();
    const up = session.connectUntilUp();
    clock.advance(0);
    await flushMicrotasks();
    expect(tries).toHaveLength(1);

    fail();
    await flushMicrotasks();
    expect(log.lines).toEqual([
      {
        level: 'warn',
        msg: 'broker connect failed',
        fields: { tries: 1, error_message: 'connect ECONNREFUSED', next_delay_ms: 100 },
      },
    ]);
    expect(session.nextTryAt).toBe(1_100);
    clock.advance(99);
    await flushMicrotasks();
    expect(tries).toHaveLength(1);
    clock.advance(1);
    await flushMicrotasks();
    const { link } = succeed();
    await up;

    expect(session.link).toBe(link);
    expect(events).toEqual(['up']);
    expect(log.lines).toHaveLength(1);
  });

  it('a lost link is logged once with what subscribers add, then reconnected with backoff', async () => {
    const { clock, session, tries, succeed, fail, log, events } = sessionWorld();
    const connecting = session.connect();
    const { conn } = succeed();
    await connecting;

    conn.emit('error', new Error('heartbeat timeout'));
    conn.emit('close', new Error('connection closed'));

    expect(session.link).toBeUndefined();
    expect(events).toEqual(['up', 'down: heartbeat timeout']);
    expect(log.lines).toEqual([
      {
        level: 'warn',
        msg: 'lost the broker connection; reconnecting',
        fields: { error_message: 'heartbeat timeout', jobs_held: 3 },
      },
    ]);
    await flushMicrotasks();
    // A connection that closed itself is not asked to close again (it would never answer).
    expect(conn.closes).toBe(0);
    // After a loss the first try waits too: the broker may be restarting.
    clock.advance(99);
    await flushMicrotasks();
    expect(tries).toHaveLength(1);
    clock.advance(1);
    await flushMicrotasks();
    expect(tries).toHaveLength(2);
    fail();
    await flushMicrotasks();
    clock.advance(200);
    await flushMicrotasks();
    const next = succeed();
    await flushMicrotasks();

    expect(session.link).toBe(next.link);
    expect(events).toEqual(['up', 'down: heartbeat timeout', 'up']);
    expect(log.lines.slice(1)).toEqual([
      {
        level: 'warn',
        msg: 'broker reconnect failed',
        fields: { tries: 1, error_message: 'connect ECONNREFUSED', next_delay_ms: 200 },
      },
      { level: 'info', msg: 'reconnected to the broker', fields: { outage_ms: 300 } },
    ]);
  });

  it('a channel closing alone drops the whole link, once', async () => {
    const { session, succeed, events, msgs } = sessionWorld();
    const connecting = session.connect();
    const { link, conn } = succeed();
    await connecting;

    link.lose(new Error('AMQP channel closed'));
    conn.emit('close');

    // The connection the channel was on is closed too, so the broker hands back what it held.
    expect(conn.closes).toBe(1);
    expect(events).toEqual(['up', 'down: AMQP channel closed']);
    expect(msgs()).toEqual(['lost the broker connection; reconnecting']);
  });

  it('ends recovery at once, even during a wait, and closes a try that succeeds too late', async () => {
    const { clock, session, tries, succeed, msgs, events } = sessionWorld();
    const connecting = session.connect();
    const first = succeed();
    await connecting;
    first.conn.emit('close');
    clock.advance(100);
    await flushMicrotasks();
    expect(tries).toHaveLength(2);

    await session.endRecovery();
    const late = succeed();
    await flushMicrotasks();
    clock.advance(10_000);
    await flushMicrotasks();

    expect(tries).toHaveLength(2);
    expect(late.conn.closes).toBe(1);
    expect(session.link).toBeUndefined();
    expect(events).toEqual(['up', 'down: connection closed']);
    expect(msgs()).not.toContain('reconnected to the broker');
  });

  it('after the end of recovery a loss is told to subscribers but not logged nor retried', async () => {
    const { session, tries, succeed, events, log } = sessionWorld();
    const connecting = session.connect();
    const { conn } = succeed();
    await connecting;

    await session.endRecovery();
    conn.emit('close');

    expect(events).toEqual(['up', 'down: connection closed']);
    expect(log.lines).toEqual([]);
    expect(tries).toHaveLength(1);
  });

  it('close ends recovery and closes the open link without reporting it lost', async () => {
    const { session, succeed, events, log } = sessionWorld();
    const connecting = session.connect();
    const { conn, link } = succeed();
    await connecting;

    await session.close();
    conn.emit('close');

    expect(conn.closes).toBe(1);
    expect(link.open).toBe(false);
    expect(session.link).toBeUndefined();
    expect(events).toEqual(['up']);
    expect(log.lines).toEqual([]);
  });
});
