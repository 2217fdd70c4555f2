// System identification: a jelly of unknown stiffness is thrown onto the ground; its particles'
// positions were observed at three steps along the way (scenes/data/jelly-sysid-2d.json, made by
// this scene's forward with the hidden E: scripts/sysid-observation.ts), and the loss matches all
// three (terms with a `step`). The optimizer tunes E, starting from half the hidden
// value, to match the observation; solved when E is within 5% of it (the loss threshold below was
// measured: a 5% error in E leaves a mean squared mismatch above it).
// Regenerate the observation after a change to the MPM step: npx vite-node scripts/sysid-observation.ts
import type { MpmScene } from '../src/mpm/scene';
import type { LossDesc } from '../src/core/loss';
import { addGroup, fillBox, gravity, sceneBase } from './builders';
import observed from './data/jelly-sysid-2d.json';

export const description = 'recover a jelly\'s hidden Young\'s modulus from its positions observed at three steps (2D, 64^2 grid)';

/** The mean of match-positions terms, one per observed step. */
export function observationLoss(observations: { step: number; positions: number[][] }[], group = 0): LossDesc {
  return { kind: 'weighted-sum', terms: observations.map((o) => ({ weight: 1 / observations.length, loss: { kind: 'match-positions', group, step: o.step, target: o.positions } })) };
}

/** The stiffness the observation was made with (the optimizer does not read it). */
export const HIDDEN_E = 1000;
const START_E = HIDDEN_E / 2;

export function build(): MpmScene {
  const res = 64;
  const dx = 1 / res;
  const scene = sceneBase({
    name: 'jelly-sysid-2d', description, dim: 2, res: [res, res], dt: 2.5e-4, steps: observed.steps,
    gravity: gravity(2), boundary: { walls: 'separate', groundFriction: 0.4, boundCells: 3 },
  });
  const jelly = addGroup(scene, { name: 'jelly', material: 'elastic', E: START_E, nu: 0.25, density: 1 });
  // 14 x 14 cells, 6 cells above the ground, thrown down and sideways: it lands and bounces
  fillBox(scene, jelly, [20 * dx, 9 * dx], [34 * dx, 23 * dx], { velocity: [1, -3] });
  scene.loss = observationLoss(observed.observations, jelly);
  scene.optimize = { params: ['groups[0].E'], learningRate: 0.1, iterations: 30, threshold: observed.threshold };
  return scene;
}
