// A soft two-legged robot driven open loop: each leg and each half of the torso is an actuated
// group whose active stress follows a sinusoid (legs along y, torso along x). The right leg lags
// the left by a quarter period, so the feet push off the frictional ground in turn and the robot
// creeps right (~0.01 units in the CPU reference); a starting point for controller optimisation.
// The strength is kept low on purpose: at a fifth of E the robot hops, and with g = 9.8 over a
// 0.12 s rollout it does not come back down.
import type { MpmScene } from '../src/mpm/scene';
import type { BuildOptions, ResolutionSpec } from './index';
import { addGroup, fillBox, gravity, sceneBase, setActuation } from './builders';

export const description = 'a soft two-legged robot with four sinusoidally actuated muscles (2D, 64^2 grid)';

const STEPS = 400;
const DT = 3e-4;
const FREQUENCY = 25; // Hz: 3 periods in the 0.12 s of the rollout
const STRENGTH = 40; // active stress at full actuation, 4% of E

/** Particles per cell along each axis (the page's resolution knob). */
export const resolution: ResolutionSpec = { label: 'particles per cell (per axis)', default: 2, min: 1, max: 4 };

export function build(o: BuildOptions = {}): MpmScene {
  const res = 64;
  const dx = 1 / res;
  const scene = sceneBase({
    name: 'robot-walk-2d', description, dim: 2, res: [res, res], dt: DT, steps: STEPS,
    gravity: gravity(2), boundary: { walls: 'separate', groundFriction: 0.8, boundCells: 3 },
  });
  const muscle = (name: string, channel: number, fiber: number[]) => addGroup(scene, {
    name, material: 'elastic', E: 1e3, nu: 0.2, density: 1, actuator: { channel, strength: STRENGTH, fiber },
  });
  // Legs 5 x 7 cells standing on the ground (3 cells thick), torso 20 x 6 cells on top.
  const fill = { ppc: o.resolution ?? resolution.default };
  fillBox(scene, muscle('left-leg', 0, [0, 1]), [10 * dx, 3 * dx], [15 * dx, 10 * dx], fill);
  fillBox(scene, muscle('right-leg', 1, [0, 1]), [25 * dx, 3 * dx], [30 * dx, 10 * dx], fill);
  fillBox(scene, muscle('torso-left', 2, [1, 0]), [10 * dx, 10 * dx], [20 * dx, 16 * dx], fill);
  fillBox(scene, muscle('torso-right', 3, [1, 0]), [20 * dx, 10 * dx], [30 * dx, 16 * dx], fill);
  const phase = [0, Math.PI / 2, Math.PI / 4, (3 * Math.PI) / 4];
  const rows = Array.from({ length: STEPS }, (_, t) => phase.map((p) => Math.sin(2 * Math.PI * FREQUENCY * t * DT + p)));
  setActuation(scene, phase.length, rows);
  return scene;
}
