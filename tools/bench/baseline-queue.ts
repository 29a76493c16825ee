/**
 * The naive baseline's and the ceiling's queues: plain quorum queues, declared alike by the bench
 * and the consumers.
 */
export const baselineQueueArgs = { 'x-queue-type': 'quorum' } as const;

export const baselineQueueName = (prefix: string) => `${prefix}.baseline`;

export const ceilingQueueName = (prefix: string) => `${prefix}.ceiling`;
