// A diffmpm-style soft walker: a torso on two legs, each leg split into a front and a back muscle
// (fibres vertical), four actuation channels in all. The controller is open loop and periodic
// ('actuation.periodic': a bias and three harmonics per channel through tanh, as diffmpm's sinusoid
// controllers), and the loss is minus the distance the torso's centre of mass travels along +x.
// Soft (E = 20) under diffmpm's gravity of 3.8: the body sags about 5% and the legs bend visibly
// (at 9.8 it slumps into an arch before it takes a step).
import type { MpmScene } from '../src/mpm/scene';
import type { BuildOptions, ResolutionSpec } from './index';
import { addGroup, fillBox, sceneBase, setActuation } from './builders';

export const description = 'a soft walker (torso, two legs of two muscles each, ~2.9k particles) learning an open-loop periodic gait (2D, 128^2 grid)';

const RES = 128;
const STEPS = 800;
const DT = 4e-4;
const E = 20;
const PERIOD = 400; // steps: 6.25 Hz and its harmonics, two periods in the rollout

/** Particles per cell along each axis (the page's resolution knob). */
export const resolution: ResolutionSpec = { label: 'particles per cell (per axis)', default: 2, min: 1, max: 4 };

export function build(o: BuildOptions = {}): MpmScene {
  const dx = 1 / RES;
  const scene = sceneBase({
    name: 'mpm-walker-2d', description, dim: 2, res: [RES, RES], dt: DT, steps: STEPS,
    gravity: [0, -3.8], boundary: { walls: 'separate', groundFriction: 0.8, boundCells: 3 },
  });
  const x0 = 20, y0 = 3; // cells
  const torso = addGroup(scene, { name: 'torso', material: 'elastic', E, nu: 0.2, density: 1 });
  const muscle = (name: string, channel: number) => addGroup(scene, {
    name, material: 'elastic', E, nu: 0.2, density: 1, actuator: { channel, strength: 0.3 * E, fiber: [0, 1] },
  });
  const box = (g: number, lo: number[], hi: number[]) => fillBox(scene, g, lo.map((c) => c * dx), hi.map((c) => c * dx), { ppc: o.resolution ?? resolution.default });
  // legs 10 cells wide (two 5-cell muscles) and 12 tall, 20 cells apart; a 40 x 12 torso on top
  box(torso, [x0, y0 + 12], [x0 + 40, y0 + 24]);
  box(muscle('back-leg-back', 0), [x0, y0], [x0 + 5, y0 + 12]);
  box(muscle('back-leg-front', 1), [x0 + 5, y0], [x0 + 10, y0 + 12]);
  box(muscle('front-leg-back', 2), [x0 + 30, y0], [x0 + 35, y0 + 12]);
  box(muscle('front-leg-front', 3), [x0 + 35, y0], [x0 + 40, y0 + 12]);
  setActuation(scene, 4, Array.from({ length: STEPS }, () => [0, 0, 0, 0]));
  scene.loss = { kind: 'com-travel', group: torso, axis: 0, direction: 1 };
  // solved at 3x the travel of the best of 20 random periodic controls (0.0120: scripts/random-baseline.ts);
  // the default run gets there at iteration 7 and travels 0.0512 by iteration 30
  scene.optimize = { params: ['actuation.periodic'], period: PERIOD, harmonics: 3, learningRate: 0.2, iterations: 30, patience: 3, threshold: -0.036 };
  return scene;
}
