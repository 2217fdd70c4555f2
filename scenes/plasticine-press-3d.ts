// A box pressed into an elastoplastic block: the dent stays. The press starts one cell above the
// block and moves down at 4 units/s (1/30 of a cell per step), ~3 cells in 100 steps, so it
// indents the 6-cell-thick block by about a third. It is tilted 5 degrees about x, so one edge
// meets the clay first, and it twists about the vertical at 4 rad/s (0.1 rad over the 100 steps),
// dragging the clay around with its friction. Its tracks are written per step,
// position[t] = start + t dt velocity and orientation[t] = the twist by t dt 4 after the tilt, as
// the GPU reads collider tracks.
import type { MpmScene } from '../src/mpm/scene';
import type { BuildOptions, ResolutionSpec } from './index';
import { addCollider, addGroup, axisAngle, fillBox, gravity, linearTrack, sceneBase, turningTrack } from './builders';

export const description = 'a tilted, twisting box collider presses a dent into a block of plasticine (3D, 32^3 grid)';

/** Particles per cell along each axis (the page's resolution knob). */
export const resolution: ResolutionSpec = { label: 'particles per cell (per axis)', default: 2, min: 1, max: 3 };

export function build(o: BuildOptions = {}): MpmScene {
  const res = 32;
  const dx = 1 / res;
  const dt = 2.5e-4;
  const steps = 100;
  const scene = sceneBase({
    name: 'plasticine-press-3d', description, dim: 3, res: [res, res, res], dt, steps,
    gravity: gravity(3), boundary: { walls: 'separate', groundFriction: 0.5, boundCells: 3 },
  });
  // Plastic limits of Stomakhin et al. 2013: singular values of F clamped to [1 - thetaC, 1 + thetaS].
  const clay = addGroup(scene, {
    name: 'plasticine', material: 'elastoplastic', E: 3e3, nu: 0.3, density: 1,
    plastic: { thetaC: 0.025, thetaS: 0.0045 },
  });
  // 10 x 6 x 10 cells resting on the ground (3 cells thick), centred at x = z = 0.5.
  fillBox(scene, clay, [11 * dx, 3 * dx, 11 * dx], [21 * dx, 9 * dx, 21 * dx], { ppc: o.resolution ?? resolution.default });
  const velocity = [0, -4, 0];
  // 6 x 2 x 6 cells, its underside at 10 cells: one cell above the block's top at 9.
  const start = [16 * dx, 11 * dx, 16 * dx];
  const twist = [0, 4, 0];
  addCollider(scene, {
    name: 'press', shape: 'box', halfExtents: [3 * dx, dx, 3 * dx], radius: 0, friction: 0.5,
    position: linearTrack(start, velocity, steps, dt), velocity: [velocity],
    orientation: turningTrack(axisAngle([1, 0, 0], (5 * Math.PI) / 180), twist, steps, dt), angularVelocity: [twist],
  });
  return scene;
}
