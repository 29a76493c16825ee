import type { Message } from 'amqplib';
import type { Delivery } from '../../worker/ports.js';
import type { AckBuffer } from './ack-buffer.js';
import { H, intHeader, stringHeader } from './headers.js';

/**
 * Wraps a message so that settling it is safe after its channel died: the broker has already
 * requeued it, and acking a stale delivery tag on a new channel would close that channel. `acks` is
 * the buffer of the channel the message came on.
 */
export function toDelivery(acks: AckBuffer, msg: Message, isOpen: () => boolean): Delivery {
  const tag = msg.fields.deliveryTag;
  acks.delivered(tag);
  const headers = (msg.properties.headers ?? {}) as Record<string, unknown>;
  const counted = intHeader(headers, H.deliveryCount);
  const redelivered = msg.fields.redelivered || (counted ?? 0) > 0;
  let settled = false;
  const settle = (fn: () => void) => {
    if (settled || !isOpen()) return;
    settled = true;
    fn();
  };
  return {
    body: msg.content,
    attempt: Math.max(1, intHeader(headers, H.attempt) ?? 1),
    redelivered,
    redeliveries: (intHeader(headers, H.redeliveries) ?? 0) + (redelivered ? Math.max(1, counted ?? 1) : 0),
    firstFailureAt: stringHeader(headers, H.firstFailureAt),
    messageId: typeof msg.properties.messageId === 'string' ? msg.properties.messageId : undefined,
    headers,
    deadLettered: deadLetteredOf(headers),
    ack: () => settle(() => acks.ack(tag)),
    nack: () => settle(() => acks.nack(tag)),
  };
}

function deadLetteredOf(headers: Record<string, unknown>): Delivery['deadLettered'] {
  const reason = stringHeader(headers, H.deadLettered);
  return reason ? { reason, errorMessage: stringHeader(headers, H.errorMessage) ?? reason } : undefined;
}
