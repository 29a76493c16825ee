import { enhancerFor } from '../../../src/pipeline/index.js';
import { placeholderEnhancer } from '../../../src/pipeline/placeholder.js';
import { validJob } from '../../helpers/jobs.js';
import { enhanceContext } from '../../helpers/enhance-context.js';

describe('placeholderEnhancer', () => {
  it('logs the ticket at debug and succeeds with a summary naming it', async () => {
    const lines: unknown[][] = [];
    const log = {
      debug: (...a: unknown[]) => lines.push(['debug', ...a]),
      info: (...a: unknown[]) => lines.push(['info', ...a]),
      warn: (...a: unknown[]) => lines.push(['warn', ...a]),
      error: (...a: unknown[]) => lines.push(['error', ...a]),
    };
    const result = await placeholderEnhancer.enhance(
      validJob({ priority: 'critical' }),
      enhanceContext({ log }),
    );
    expect(result).toEqual({ summary: 'Enhancement processing initiated for ticket TICKET-42' });
    expect(lines).toEqual([['debug', 'enhancement processing initiated', { priority: 'critical' }]]);
  });

  it('is what enhancerFor picks for "placeholder"; "simulate" gives the simulator', () => {
    expect(enhancerFor('placeholder')).toBe(placeholderEnhancer);
    expect(enhancerFor('simulate').name).toBe('simulate');
  });
});
