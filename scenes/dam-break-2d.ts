// A column of weakly compressible fluid collapses in the left corner of a box. The sound speed
// (c = sqrt(K / density) ~ 10) is about 4 x the fastest flow (sqrt(2 g H) ~ 2.8): compression stays
// at a few percent while dt can be 0.53 dx / c, so 500 steps reach t = 0.2 s, one collapse time.
import type { MpmScene } from '../src/mpm/scene';
import type { BuildOptions, ResolutionSpec } from './index';
import { addGroup, fillBox, gravity, sceneBase } from './builders';

export const description = 'a fluid column collapses across a box (2D, 128^2 grid)';

/** Particles per cell along each axis (the page's resolution knob). */
export const resolution: ResolutionSpec = { label: 'particles per cell (per axis)', default: 2, min: 1, max: 4 };

export function build(o: BuildOptions = {}): MpmScene {
  const res = 128;
  const dx = 1 / res;
  const scene = sceneBase({
    name: 'dam-break-2d', description, dim: 2, res: [res, res], dt: 4e-4, steps: 500,
    gravity: gravity(2), boundary: { walls: 'separate', boundCells: 3 },
  });
  // K = E / (2 (1 + nu) (1 - 2 nu)) = 107 in 2D.
  const water = addGroup(scene, { name: 'water', material: 'fluid', E: 60, nu: 0.4, density: 1, viscosity: 0 });
  // 25 x 52 cells on the floor, half a cell clear of the left wall: touching its band at rest, the
  // column would start on the wall's switch (v.n = 0 at its nodes), where gradients are one-sided
  // (README, Known limits).
  fillBox(scene, water, [3.5 * dx, 3 * dx], [28.5 * dx, 55 * dx], { ppc: o.resolution ?? resolution.default });
  return scene;
}
