// The 3D dam break, small enough for CI on a software GPU: a 8 x 16 x 8-cell column on a 32^3 grid.
// Same fluid as dam-break-2d (K = E / (3 (1 - 2 nu)) = 100, c = 10); dt = 0.48 dx / c.
import type { MpmScene } from '../src/mpm/scene';
import type { BuildOptions, ResolutionSpec } from './index';
import { addGroup, fillBox, gravity, sceneBase } from './builders';

export const description = 'a fluid column collapses in the corner of a box (3D, 32^3 grid)';

/** Particles per cell along each axis (the page's resolution knob); 3 makes 27 per cell, 14k particles. */
export const resolution: ResolutionSpec = { label: 'particles per cell (per axis)', default: 2, min: 1, max: 3 };

export function build(o: BuildOptions = {}): MpmScene {
  const res = 32;
  const dx = 1 / res;
  const scene = sceneBase({
    name: 'dam-break-3d', description, dim: 3, res: [res, res, res], dt: 1.5e-3, steps: 150,
    gravity: gravity(3), boundary: { walls: 'separate', boundCells: 3 },
  });
  const water = addGroup(scene, { name: 'water', material: 'fluid', E: 60, nu: 0.4, density: 1, viscosity: 0 });
  // on the floor, half a cell clear of the two walls it stands against (see dam-break-2d.ts)
  fillBox(scene, water, [3.5 * dx, 3 * dx, 3.5 * dx], [11.5 * dx, 19 * dx, 11.5 * dx], { ppc: o.resolution ?? resolution.default });
  return scene;
}
