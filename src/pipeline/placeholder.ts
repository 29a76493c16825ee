import type { Enhancer } from './enhancer.js';

/** The original story's behaviour until context gathering lands: log the ticket and succeed. */
export const placeholderEnhancer: Enhancer = {
  name: 'placeholder',
  enhance(job, { log }) {
    log.debug('enhancement processing initiated', { priority: job.priority });
    return Promise.resolve({ summary: `Enhancement processing initiated for ticket ${job.ticket_id}` });
  },
};
