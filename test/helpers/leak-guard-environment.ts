/**
 * The integration project's test environment: node's, plus the leak guard's verdict. After a test
 * file's last hook (jest-circus's `run_finish`), whatever test/helpers/leak-guard.ts still counts as
 * open fails the file, with where each was opened; the guard then closes them, so one leaky file
 * cannot hold the run up. Connections get a moment to finish closing first (a `close` event may
 * trail the promise the test awaited).
 */
import type { Circus } from '@jest/types';
import { TestEnvironment } from 'jest-environment-node';
// No .js here: jest loads its test environment outside moduleNameMapper (see the architecture test).
import { LEAK_REGISTRY, type LeakRegistry } from './leak-guard';

const SETTLE_MS = 2_000;

export default class LeakGuardEnvironment extends TestEnvironment {
  async handleTestEvent(event: Circus.Event, state: Circus.State): Promise<void> {
    if (event.name !== 'run_finish') return;
    const registry = this.global[LEAK_REGISTRY] as LeakRegistry | undefined;
    if (!registry) return;
    const until = Date.now() + SETTLE_MS;
    while (registry.open.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    if (registry.open.size === 0) return;
    const left = [...registry.open];
    const list = left.map((h) => `- ${h.what}, opened at\n    ${h.where.replace(/\n\s*/g, '\n    ')}`);
    state.unhandledErrors.push(
      new Error(
        `the test file left ${left.length} resource(s) open; close them in afterAll/afterEach:\n${list.join('\n')}`,
      ),
    );
    await Promise.all(left.map((h) => h.close()));
    registry.open.clear();
  }
}
