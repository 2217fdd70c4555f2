// Throw a jelly so that its centre of mass lands on a target: the default `torsion optimize` task.
// In free flight the centre of mass after N steps is x0 + N dt v0 + g dt^2 N (N + 1) / 2, so the
// target below is hit by v0 ~ (4.04, 1.55); the scene starts at (2, 0.5) so Adam has work to do.
// The jelly stays clear of the walls and the ground for the whole flight, for either velocity.
import type { MpmScene } from '../src/mpm/scene';
import type { BuildOptions, ResolutionSpec } from './index';
import { addGroup, fillBox, gravity, sceneBase } from './builders';

export const description = 'a jelly thrown at a target; optimize its initial velocity (2D, 64^2 grid)';

/** Particles per cell along each axis (the page's resolution knob). */
export const resolution: ResolutionSpec = { label: 'particles per cell (per axis)', default: 2, min: 1, max: 4 };

export function build(o: BuildOptions = {}): MpmScene {
  const res = 64;
  const dx = 1 / res;
  const scene = sceneBase({
    name: 'jelly-throw-2d', description, dim: 2, res: [res, res], dt: 2.5e-4, steps: 240,
    gravity: gravity(2), boundary: { walls: 'separate', groundFriction: 0.4, boundCells: 3 },
  });
  const jelly = addGroup(scene, { name: 'jelly', material: 'elastic', E: 1e3, nu: 0.2, density: 1 });
  // 16 x 16 cells, centre of mass at (0.1875, 0.375).
  fillBox(scene, jelly, [4 * dx, 16 * dx], [20 * dx, 32 * dx], { velocity: [2, 0.5], ppc: o.resolution ?? resolution.default });
  scene.loss = { kind: 'com-target', group: jelly, target: [0.43, 0.45] };
  // Adam moves each component by about lr per iteration: the velocity is ~2 off.
  // solved when the centre lands within 2% of the domain (of size 1) of the target: loss <= 0.02^2
  scene.optimize = { params: ['initialVelocity'], learningRate: 0.2, iterations: 40, threshold: 4e-4 };
  return scene;
}
