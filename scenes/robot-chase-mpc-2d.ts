// Model-predictive control: the spring-robot-2d walker chases a goal that walks right, pauses, and
// walks back. Every 50 steps its gait (a bias and one harmonic per channel, 250 steps per period)
// is re-planned over the next 250 steps (Adam through the adjoint, warm-started from the last gait)
// towards where the goal will be when the plan ends; the first 50 steps of each plan are run.
// `torsion mpc robot-chase-mpc-2d`.
import type { SpringScene } from '../src/springs/scene';
import { build as springRobot } from './spring-robot-2d';

export const description = 'the 2D spring walker chases a moving goal, re-planning its gait every 50 steps (model-predictive control)';

const STEPS = 1500;

export function build(): SpringScene {
  // the walker without its own task (its loss and optimize fields)
  const { loss: _loss, optimize: _optimize, ...base } = springRobot();
  // standing on the ground from the start (sunk by about its resting penetration under the soft
  // contact) rather than dropped from 1 mm: a landing in the first steps would put a contact switch
  // inside gradcheck's 20-step window
  const x = base.vertices.x.map((v, k) => (k % 2 === 1 ? v - 0.0011 : v));
  base.vertices = { ...base.vertices, x };
  const n = x.length / 2;
  const com = [0, 1].map((i) => x.reduce((s, v, k) => (k % 2 === i ? s + v : s), 0) / n);
  const y = com[1];
  return {
    ...base, name: 'robot-chase-mpc-2d', description, steps: STEPS,
    // the goal: still for 150 steps, 0.2 to the right by step 900 (0.27 per second), still, then
    // back 0.08 by step 1500 (walking backwards is slower)
    actuation: { channels: 4, values: new Array(4 * STEPS).fill(0) },
    mpc: {
      horizon: 250, every: 50, iterations: 5, learningRate: 0.1, period: 250, harmonics: 1,
      goal: [[0, com[0], y], [150, com[0], y], [900, com[0] + 0.2, y], [1000, com[0] + 0.2, y], [1500, com[0] + 0.12, y]],
      // chased along the ground (the walker may hop), within 0.06 (a quarter of its length) from step 200 on
      axes: [0], tolerance: 0.06, warmup: 200,
    },
  };
}
