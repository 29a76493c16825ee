import type { Enhancer } from './enhancer.js';
import { contextEnhancer, type ContextEnhancerOptions } from './context/context-enhancer.js';
import { placeholderEnhancer } from './placeholder.js';
import { realEffects, simulateEnhancer } from './simulate.js';

export type PipelineName = 'context' | 'placeholder' | 'simulate';

/** The pipeline ENHANCER_PIPELINE names; `context` needs its options (the store it reads). */
export function enhancerFor(name: PipelineName, context?: ContextEnhancerOptions): Enhancer {
  switch (name) {
    case 'simulate':
      return simulateEnhancer(realEffects);
    case 'placeholder':
      return placeholderEnhancer;
    case 'context':
      if (!context) throw new Error('the context pipeline needs its store');
      return contextEnhancer(context);
  }
}
