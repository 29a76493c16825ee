/** The baseline consumer's queue: a plain quorum queue, declared alike by the bench and the consumer. */
export const baselineQueueArgs = { 'x-queue-type': 'quorum' } as const;

export const baselineQueueName = (prefix: string) => `${prefix}.baseline`;
