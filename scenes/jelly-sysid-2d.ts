// System identification: a jelly of unknown stiffness is thrown onto the ground; its particles'
// positions at the last step were observed (scenes/data/jelly-sysid-2d.json, made by this scene's
// forward with the hidden E: see below). The optimizer tunes E, starting from half the hidden
// value, to match the observation; solved when E is within 5% of it (the loss threshold below was
// measured: a 5% error in E leaves a mean squared mismatch above it).
//
// Regenerate the observation (after a change to the MPM step):
//   node bin/torsion.mjs export jelly-sysid-2d --out /tmp/s.json   (then set groups[0].E to HIDDEN_E)
//   node bin/torsion.mjs run --scene-file /tmp/s.json --out /tmp/obs
//   and write /tmp/obs/state.bin's positions into the data file (scripts/sysid-observation.ts).
import type { MpmScene } from '../src/mpm/scene';
import { addGroup, fillBox, gravity, sceneBase } from './builders';
import observed from './data/jelly-sysid-2d.json';

export const description = 'recover a jelly\'s hidden Young\'s modulus from its observed final positions (2D, 64^2 grid)';

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
  scene.loss = { kind: 'match-positions', group: jelly, target: observed.positions };
  scene.optimize = { params: ['groups[0].E'], learningRate: 0.1, iterations: 30, threshold: observed.threshold };
  return scene;
}
