import type { Enhancer } from './enhancer';
import { placeholderEnhancer } from './placeholder';
import { realEffects, simulateEnhancer } from './simulate';

export function enhancerFor(name: 'placeholder' | 'simulate'): Enhancer {
  return name === 'simulate' ? simulateEnhancer(realEffects) : placeholderEnhancer;
}
