// An elastic square lands on a frictional ground and bounces. Why it starts moving: at the CFL time
// step of a jelly with E = 1e3 (dt = 0.64 dx / c), 300 steps are 0.045 s, too short for gravity
// alone to bring it down; so it starts at 3 units/s, as if dropped from 0.46 units up, and
// drifts sideways so the ground's friction has something to do.
import type { MpmScene } from '../src/mpm/scene';
import type { BuildOptions, ResolutionSpec } from './index';
import { addGroup, fillBox, gravity, sceneBase } from './builders';

export const description = 'an elastic square falls onto a frictional ground and bounces (2D, 128^2 grid)';

/** Particles per cell along each axis (the page's resolution knob). */
export const resolution: ResolutionSpec = { label: 'particles per cell (per axis)', default: 2, min: 1, max: 4 };

export function build(o: BuildOptions = {}): MpmScene {
  const res = 128;
  const dx = 1 / res;
  const scene = sceneBase({
    name: 'jelly-drop-2d', description, dim: 2, res: [res, res], dt: 1.5e-4, steps: 300,
    gravity: gravity(2), boundary: { walls: 'separate', groundFriction: 0.4, boundCells: 3 },
  });
  const jelly = addGroup(scene, { name: 'jelly', material: 'elastic', E: 1e3, nu: 0.2, density: 1 });
  // 28 x 28 cells, 9 cells above the ground (which is 3 cells thick).
  fillBox(scene, jelly, [50 * dx, 12 * dx], [78 * dx, 40 * dx], { velocity: [1, -3], ppc: o.resolution ?? resolution.default });
  return scene;
}
