// mpm-walker-2d's robot (a torso on two legs of two muscles each, ~2.9k particles, four channels)
// driven by a closed-loop MLP controller (src/control) instead of an open-loop gait: from the
// torso-and-legs centre of mass, its velocity, the phase of the gait clock and a commanded speed,
// a sin-activated hidden layer sets the four muscles every step. One controller is trained on four
// commanded speeds at once (four batch copies share its weights, each commanded one speed); the loss
// is the mean over them of (the torso's mean speed over the rollout - the commanded speed)^2
// ('com-speed'). scripts/controller-eval.ts then commands a speed it was not trained on.
import type { MpmScene } from '../src/mpm/scene';
import type { BuildOptions } from './index';
import { build as buildWalker, resolution as walkerResolution } from './mpm-walker-2d';

/** mpm-walker-2d's particles per cell (the page's resolution knob): the controller's inputs do not depend on the count. */
export const resolution = walkerResolution;

export const description = 'the soft MPM walker (~2.9k particles) with an MLP controller trained on four commanded speeds (closed loop, shared weights; 2D, 128^2 grid)';

/** The commanded speeds it is trained on (domain lengths per second along +x), one batch copy each. */
export const TRAIN_SPEEDS = [0.03, 0.06, 0.09, 0.12];
const STEPS = 400;
const GAIT = 0.16; // s: mpm-walker-2d's 400-step period at dt 4e-4

export function build(o: BuildOptions = {}): MpmScene {
  const scene = buildWalker(o);
  const torso = scene.groups.findIndex((g) => g.name === 'torso');
  scene.name = 'mpm-walker-mlp-2d';
  scene.description = description;
  scene.steps = STEPS;
  // trained and measured under gravity 9.8 (mpm-walker-2d has since moved to diffmpm's 3.8)
  scene.gravity = [0, -9.8];
  scene.actuation!.values = scene.actuation!.values!.slice(0, STEPS * scene.actuation!.channels);
  scene.controller = { hidden: [32], inputs: ['com', 'velocity', 'phase', 'goal'], periods: [GAIT, GAIT / 2], goal: TRAIN_SPEEDS.map((s) => [s]), seed: 1 };
  scene.loss = { kind: 'com-speed', group: torso, axis: 0 };
  // threshold 2e-4: an RMS speed error of 0.014, under a fifth of the mean command, and under a
  // fifth of the 1.125e-3 of a controller blind to its goal (one speed, 0.075, for all four). The
  // goal feature is normalised by TRAIN_SPEEDS (controller.ts's goalNorm), without which the
  // command's spread of 0.09 beside the phase inputs' +-1 barely moved the first layer and the
  // controller learnt one speed for every command. The loss falls smoothly, so the rate is large.
  scene.optimize = { params: ['controller'], learningRate: 0.05, iterations: 15, patience: 3, threshold: 2e-4 };
  return scene;
}
