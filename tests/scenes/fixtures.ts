// Shared by the scene tests: a tiny scene that uses every field of the format, and a helper that
// checks a SceneError names the field, shows the value and says what is allowed.
import { expect } from 'vitest';
import type { MpmScene } from '../../src/mpm/scene';
import { SceneError } from '../../src/mpm/validate';
import { addCollider, addGroup, fillBox, finalizeScene, linearTrack, sceneBase, setActuation } from '../../scenes/builders';

/** 16^2 grid, three groups (elastic with an actuator, viscous fluid, elastoplastic), a moving, spinning sphere. */
export function tinyScene(): MpmScene {
  const dx = 1 / 16;
  const s = sceneBase({
    name: 'tiny', description: 'test scene', dim: 2, res: [16, 16], dt: 1e-3, steps: 4,
    gravity: [0, -9.8], boundary: { walls: 'slip', groundFriction: 0.3, boundCells: 3 },
  });
  const a = addGroup(s, { name: 'a', material: 'elastic', E: 100, nu: 0.2, density: 1, actuator: { channel: 0, strength: 5, fiber: [1, 0] } });
  const b = addGroup(s, { name: 'b', material: 'fluid', E: 50, nu: 0.4, density: 1, viscosity: 0.01 });
  const c = addGroup(s, { name: 'c', material: 'elastoplastic', E: 100, nu: 0.3, density: 2, plastic: { thetaC: 0.025, thetaS: 0.0045 } });
  fillBox(s, a, [4 * dx, 4 * dx], [6 * dx, 6 * dx], { velocity: [0.5, 0] });
  fillBox(s, b, [8 * dx, 4 * dx], [10 * dx, 6 * dx]);
  fillBox(s, c, [4 * dx, 8 * dx], [6 * dx, 10 * dx], { jitter: 0.5, seed: 7 });
  addCollider(s, { name: 'ball', shape: 'sphere', radius: 0.05, friction: 0.2, position: linearTrack([0.7, 0.7], [0, -1], 4, 1e-3), velocity: [[0, -1]],
    orientation: [[0.2]], angularVelocity: [[1]] });
  setActuation(s, 1, [0, 0.5, 1, 0.5]);
  s.loss = { kind: 'com-target', group: a, target: [0.5, 0.5] };
  s.optimize = { param: 'initialVelocity', learningRate: 0.1, iterations: 3 };
  s.sortEvery = 2;
  return finalizeScene(s);
}

/** Runs fn, which must throw a SceneError, and returns it. */
export function sceneErrorOf(fn: () => unknown): SceneError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SceneError) return e;
    throw e;
  }
  throw new Error('expected a SceneError; nothing was thrown');
}

/** Asserts the error names `field`, shows `value` ('undefined': missing) and allows something containing `allowed`. */
export function expectSceneError(fn: () => unknown, field: string, value: string, allowed: string): SceneError {
  const e = sceneErrorOf(fn);
  expect(e.field).toBe(field);
  expect(e.message).toContain(field === '' ? 'scene' : `scene.${field}`);
  expect(e.value).toContain(value);
  // A missing field has no value to show: the message says so instead.
  expect(e.message).toContain(value === 'undefined' ? 'is missing' : value);
  expect(e.allowed).toContain(allowed);
  expect(e.message).toContain(`allowed ${e.allowed}`);
  return e;
}
