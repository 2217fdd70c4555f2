// A DiffTaichi-style walker of masses and springs: a 5 x 2-cell body on two one-cell legs (22
// masses, 55 springs), every spring of a leg or a body half driven by one of four channels, open
// loop with sinusoids a quarter period apart so the feet push off the rough, slightly soft ground
// in turn. The loss asks the centre of mass to travel 0.3 to the right: `torsion optimize` tunes
// a periodic gait (a bias and harmonics per channel). Tuning the actuation per step (--params
// actuation) follows gradients that explode over the 600 steps of contact: |grad| 1e11 by the
// third iteration, the loss stuck at two thirds of its start; the gait's 20 numbers reach 4%.
import type { SpringScene } from '../src/springs/scene';
import { robotFromCells2d } from './spring-builders';

export const description = 'a 2D mass-spring walker (22 masses, 55 springs, 4 actuated channels) on rough ground';

const STEPS = 600;
const DT = 1e-3;
const CELL = 0.05;
const GROUND = 0.05;

export function build(): SpringScene {
  const cells: [number, number][] = [[0, 1], [1, 1], [2, 1], [3, 1], [4, 1], [0, 2], [1, 2], [2, 2], [3, 2], [4, 2], [0, 0], [4, 0]];
  // channels: front leg, rear leg, front half of the body, rear half
  const robot = robotFromCells2d(cells, { cell: CELL, origin: [0.2, GROUND + 0.001], mass: 0.05, actuated: [[10], [11], [0, 1, 5, 6], [3, 4, 8, 9]] });
  const phase = [0, Math.PI / 2, Math.PI / 4, (3 * Math.PI) / 4];
  const values: number[] = [];
  for (let t = 0; t < STEPS; t++) for (const p of phase) values.push(Math.sin(2 * Math.PI * 4 * t * DT + p));
  const com = robot.vertices.x.reduce((s, v, k) => (k % 2 === 0 ? s + v : s), 0) / robot.vertices.mass.length;
  return {
    kind: 'springs', name: 'spring-robot-2d', description, dim: 2, dt: DT, steps: STEPS, gravity: [0, -9.8], damping: 1, extent: [1.5, 0.5],
    materials: [{ name: 'spring', stiffness: 1000, damping: 0.5 }],
    vertices: robot.vertices,
    springs: { ...robot.springs, actuationStrength: 0.2 },
    actuation: { channels: 4, values },
    ground: { height: GROUND, friction: 1, softness: 0.001 },
    loss: { kind: 'com-target', target: [com + 0.3, GROUND + 0.08] },
    optimize: { params: ['actuation.periodic'], learningRate: 0.2, iterations: 30 },
  };
}
