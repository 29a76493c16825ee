import { EventEmitter } from 'node:events';
import { watchSilence } from '../../../../src/adapters/amqp/silence-watch.js';
import { FakeClock } from '../../../helpers/fake-clock.js';

/** A socket that records its destruction; `emit('data')` is a read by amqplib. */
class FakeSocket extends EventEmitter {
  destroyedWith: Error | undefined;
  destroy(err: Error): void {
    this.destroyedWith = err;
    this.emit('close');
  }
}

describe('watchSilence', () => {
  it('keeps a connection the broker keeps talking on (heartbeats every half interval)', () => {
    const clock = new FakeClock(0);
    const socket = new FakeSocket();
    watchSilence(socket, 10_000, clock);
    for (let t = 0; t < 60_000; t += 2_500) {
      clock.advance(2_500);
      socket.emit('data');
    }
    expect(socket.destroyedWith).toBeUndefined();
  });

  it('cuts it once nothing has been read for two intervals, within a quarter interval more', () => {
    const clock = new FakeClock(0);
    const socket = new FakeSocket();
    watchSilence(socket, 10_000, clock);
    clock.advance(3_000);
    socket.emit('data'); // last sign of life at 3 s
    clock.advance(10_000);
    expect(socket.destroyedWith).toBeUndefined();
    clock.advance(1_250);
    expect(socket.destroyedWith?.message).toMatch(/^no frame from the broker for 1\d{4} ms$/);
    expect(clock.now()).toBeLessThanOrEqual(3_000 + 10_000 + 1_250);
  });

  it('judges nothing on a tick that came late (the event loop was blocked, bytes may be unread)', () => {
    const clock = new FakeClock(0);
    const socket = new FakeSocket();
    watchSilence(socket, 10_000, clock);
    clock.block(15_000); // a handler held the loop; the broker's heartbeats wait in the socket
    clock.advance(0); // the overdue tick runs first, late
    expect(socket.destroyedWith).toBeUndefined();
    socket.emit('data'); // then I/O: amqplib reads what was waiting
    clock.advance(5_000);
    expect(socket.destroyedWith).toBeUndefined();
  });

  it('stops watching when the socket closes or when told', () => {
    const clock = new FakeClock(0);
    const closed = new FakeSocket();
    watchSilence(closed, 1_000, clock);
    closed.emit('close');
    const stopped = new FakeSocket();
    watchSilence(stopped, 1_000, clock)();
    clock.advance(60_000);
    expect([closed.destroyedWith, stopped.destroyedWith]).toEqual([undefined, undefined]);
    expect([closed.listenerCount('data'), stopped.listenerCount('data')]).toEqual([0, 0]);
  });
});
