import type { ChannelModel } from 'amqplib';
import { destroySocket, withHeartbeat } from '../../../../src/adapters/amqp/connect.js';

describe('withHeartbeat', () => {
  it.each([
    ['amqp://guest:guest@127.0.0.1:5672', 'amqp://guest:guest@127.0.0.1:5672?heartbeat=5'],
    ['amqps://u:p@rabbit/vhost?frameMax=8192', 'amqps://u:p@rabbit/vhost?frameMax=8192&heartbeat=5'],
    // The configured heartbeat wins over one in the URL (AMQP_HEARTBEAT_S is the documented knob).
    ['amqp://rabbit/%2F?heartbeat=60', 'amqp://rabbit/%2F?heartbeat=5'],
  ])('asks %s for a 5 s heartbeat', (url, want) => {
    expect(withHeartbeat(url, 5)).toBe(want);
  });

  it('leaves a URL it cannot parse to amqplib, which reports it', () => {
    expect(withHeartbeat('not a url', 5)).toBe('not a url');
  });
});

describe('destroySocket', () => {
  it('destroys with an error, the event amqplib listens for to end the connection and its heartbeats', () => {
    const destroyed: unknown[] = [];
    const conn = { connection: { stream: { destroy: (err: Error) => destroyed.push(err) } } };
    destroySocket(conn as unknown as ChannelModel);
    expect(destroyed).toEqual([expect.objectContaining({ message: expect.stringMatching(/socket cut/) })]);
  });
});
