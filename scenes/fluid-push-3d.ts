// FluidLab-style pushing: a paddle as wide as the tank sweeps a pool of viscous fluid along x into a
// target region at the far end. The loss is region-fraction, 1 minus the smooth mass fraction of the
// fluid inside the target box (the exact fraction is reported); the task is solved at a smooth
// fraction of 60%. The paddle's track is tuned as 'colliders[0].waypoints': offsets from the
// scene's own track at two knots (half way and the last step; the start fixed), linear in between,
// the velocity track their slope. Only the offsets along x matter: the paddle reaches past the
// domain's top, bottom and sides, so moving it along y or z touches no node's contact and their
// gradients are exactly zero (Adam leaves them at zero).
// The default track creeps forward at 0.4 units/s, and the pool slumps on its own: 0.07% of the
// fluid (2 particles) is in the target at the end (loss 0.962). `torsion optimize` (Adam, 15
// iterations, ~1 minute on 2 cores) passes the threshold at iteration 6 and ends at loss 0.121,
// 99.4% inside: the paddle pushes 0.31 units in the first half and 0.01 in the second (cem: loss
// 0.119 at iteration 13, 99.7%, ~4 minutes).
// The target's top (10 cells: the pool pushed into it stands ~6.5 cells deep) makes the best push an
// interior one: a paddle that keeps going piles the fluid above the target, and one that goes
// further still crushes it against the far wall, which the rollout reports as a blow-up.
// The viscosity (kinematic 0.05, within the explicit limit at this dt) damps the splashes of a fast
// push, which in a water-thin fluid of this sound speed (c = 10) compress it out of the fixed-point
// range, and slows the slump.
import type { MpmScene } from '../src/mpm/scene';
import type { BuildOptions, ResolutionSpec } from './index';
import { addCollider, addGroup, fillBox, gravity, linearTrack, sceneBase } from './builders';

export const description = 'a paddle pushes a pool of viscous fluid into a target at the far end of a tank; optimize its track (3D, 32x16x16 grid)';

const RES = [32, 16, 16];
const DT = 1.5e-3;
const STEPS = 160;
const CREEP = 0.4; // the default track's speed along x

/** Particles per cell along each axis (the page's resolution knob). */
export const resolution: ResolutionSpec = { label: 'particles per cell (per axis)', default: 2, min: 1, max: 3 };

export function build(o: BuildOptions = {}): MpmScene {
  const dx = 1 / RES[0];
  const scene = sceneBase({
    name: 'fluid-push-3d', description, dim: 3, res: RES, dt: DT, steps: STEPS,
    gravity: gravity(3), boundary: { walls: 'separate', boundCells: 3 },
  });
  // the dam breaks' fluid (K = 100, c = 10, dt = 0.48 dx / c), made viscous
  const water = addGroup(scene, { name: 'water', material: 'fluid', E: 60, nu: 0.4, density: 1, viscosity: 0.05 });
  // 9 x 5 x 8 cells on the floor (2,880 particles), against the paddle's face at 3.5 cells, and in z
  // clear of both walls' bands (nodes 0-2 and 13-15), so no particle's stencil starts on a wall's
  // switch (see dam-break-2d.ts; touching the far band, gradcheck's C0 is 1.3% off, one-sided)
  fillBox(scene, water, [3.5 * dx, 3 * dx, 3.5 * dx], [12.5 * dx, 8 * dx, 11.5 * dx], { ppc: o.resolution ?? resolution.default });
  // 2 cells thick, 24 cells tall and wide around the tank's centre line. Its faces are flat, so its
  // position track carries no gradient; the waypoints reach the loss through the velocity track.
  const start = [2.5 * dx, 8 * dx, 8 * dx];
  const velocity = [CREEP, 0, 0];
  addCollider(scene, {
    name: 'paddle', shape: 'box', halfExtents: [dx, 12 * dx, 12 * dx], radius: 0, friction: 0,
    position: linearTrack(start, velocity, STEPS, DT), velocity: [velocity],
  });
  // the far 10 cells of the tank's 26, up to 10 cells high (7 above the floor's band)
  scene.loss = { kind: 'region-fraction', group: water, target: { min: [19 * dx, 0, 0], max: [1, 10 * dx, 0.5] }, width: 1.5 * dx };
  // two knots: with four, Adam's first steps (each knot moved by the rate) swing the paddle back
  // and then fling the fluid, a local minimum (loss 0.35) that stops pushing
  scene.optimize = { params: ['colliders[0].waypoints'], waypoints: 2, learningRate: 0.04, iterations: 15, patience: 3, threshold: 0.4 };
  return scene;
}
