import type { Message } from 'amqplib';
import { AckBuffer, type Settler } from '../../../../src/adapters/amqp/ack-buffer.js';

/** A channel recording what reaches the broker: `ack 5`, `ack ≤5` (multiple), `nack 5`. */
function world(opts: { open?: () => boolean } = {}) {
  const sent: string[] = [];
  const ch: Settler = {
    ack: (m: Message, allUpTo?: boolean) =>
      void sent.push(`ack ${allUpTo ? '≤' : ''}${m.fields.deliveryTag}`),
    nack: (m: Message) => void sent.push(`nack ${m.fields.deliveryTag}`),
  };
  let flushes: (() => void)[] = [];
  const acks = new AckBuffer(ch, opts.open ?? (() => true), (f) => void flushes.push(f));
  const endTurn = () => {
    const fs = flushes;
    flushes = [];
    fs.forEach((f) => f());
  };
  const deliver = (...tags: number[]) => tags.forEach((t) => acks.delivered(t));
  return { sent, acks, endTurn, deliver };
}

describe('AckBuffer', () => {
  it("sends a turn's acks at its end, the oldest run of them as one multiple ack", () => {
    const { sent, acks, endTurn, deliver } = world();
    deliver(1, 2, 3, 4);
    acks.ack(2);
    acks.ack(1);
    acks.ack(3);
    expect(sent).toEqual([]);
    endTurn();
    expect(sent).toEqual(['ack ≤3']);
  });

  it('never covers a delivery still held: past it, acks go one by one', () => {
    const { sent, acks, endTurn, deliver } = world();
    deliver(1, 2, 3, 4);
    acks.ack(1);
    acks.ack(3);
    acks.ack(4);
    endTurn();
    expect(sent).toEqual(['ack ≤1', 'ack 3', 'ack 4']);

    // Once the held one is acked, a multiple ack may pass over those acked alone.
    acks.ack(2);
    deliver(5, 6);
    acks.ack(5);
    endTurn();
    expect(sent.slice(3)).toEqual(['ack ≤5']);
  });

  it('nacks at once, and a later multiple ack passes over the nacked delivery', () => {
    const { sent, acks, endTurn, deliver } = world();
    deliver(1, 2, 3);
    acks.ack(1);
    acks.nack(2);
    expect(sent).toEqual(['nack 2']);
    acks.ack(3);
    endTurn();
    expect(sent).toEqual(['nack 2', 'ack ≤3']);
  });

  it('sends nothing on a channel that closed meanwhile (the broker has requeued those)', () => {
    let open = true;
    const { sent, acks, endTurn, deliver } = world({ open: () => open });
    deliver(1, 2);
    acks.ack(1);
    open = false;
    endTurn();
    expect(sent).toEqual([]);
  });

  it('flush() sends at once what waits, and the end of the turn then has nothing left', () => {
    const { sent, acks, endTurn, deliver } = world();
    deliver(1);
    acks.ack(1);
    acks.flush();
    expect(sent).toEqual(['ack ≤1']);
    endTurn();
    expect(sent).toEqual(['ack ≤1']);
  });

  it('stays exact over thousands of deliveries settled out of order', () => {
    const { sent, acks, endTurn, deliver } = world();
    // Broker view: the unacked tags; a multiple ack acks every unacked tag up to it.
    const unacked = new Set<number>();
    // Each tag is settled some turns after it came: most in the same turn, every third one turn later,
    // every seventeenth five turns later, so held tags sit among settled ones.
    const due = new Map<number, number>();
    let tag = 0;
    for (let turn = 0; turn < 300; turn++) {
      for (let i = 0; i < 10; i++) {
        deliver(++tag);
        unacked.add(tag);
        due.set(tag, turn + (tag % 17 === 0 ? 5 : tag % 3 === 0 ? 1 : 0));
      }
      for (const [t, at] of due) {
        if (at !== turn) continue;
        acks.ack(t);
        due.delete(t);
      }
      const before = sent.length;
      endTurn();
      for (const line of sent.slice(before)) {
        const [, multiple, n] = /^ack (≤?)(\d+)$/.exec(line)!;
        for (const t of [...unacked]) if (multiple ? t <= Number(n) : t === Number(n)) unacked.delete(t);
      }
      // Exactly the settled ones are acked: none still held, none left behind.
      expect([...unacked].sort((a, b) => a - b)).toEqual([...due.keys()].sort((a, b) => a - b));
    }
    expect(sent.some((line) => line.startsWith('ack ≤'))).toBe(true);
  });

  it('does not throw out of the turn when the channel is already closing (amqplib throws on send)', () => {
    const closing: Settler = {
      ack: () => {
        throw new Error('Channel closing');
      },
      nack: () => undefined,
    };
    const flushes: (() => void)[] = [];
    const acks = new AckBuffer(
      closing,
      () => true,
      (f) => void flushes.push(f),
    );
    acks.delivered(1);
    acks.ack(1);
    expect(() => flushes.forEach((f) => f())).not.toThrow();
  });
});
