// A run's configuration (src/opt/session.ts): the scene's task with the command line's overrides,
// refused with a message naming the option before any GPU work.
import { expect, test } from 'vitest';
import { ConfigError, runConfig } from '../../src/opt/session';
import { buildScene } from '../../scenes/index';

test('--steps shorter than a step the loss observes is refused, naming the term and the least allowed', () => {
  // jelly-sysid-2d matches positions observed at steps 100, 200 and 300
  const scene = buildScene('jelly-sysid-2d');
  expect(() => runConfig(scene, { steps: 150 })).toThrow(ConfigError);
  expect(() => runConfig(scene, { steps: 150 })).toThrow(/--steps = 150: loss\.terms\[2\]\.loss\.step = 300 observes a later step; allowed at least 300/);
  expect(runConfig(scene, { steps: 300 }).steps).toBe(300);
  expect(runConfig(buildScene('jelly-throw-2d'), { steps: 10 }).steps).toBe(10);
});
