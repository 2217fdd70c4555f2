// Torsion's side of the DiffTaichi `diffmpm.py` comparison (scripts/peers/difftaichi-diffmpm.md):
// diffmpm's walking robot rebuilt as a Torsion scene with the same particles (2,976 on diffmpm's
// lattice: a 38 x 12-cell body on four 6 x 12-cell legs, 2 x 2 particles a cell), grid (128^2),
// dt (1e-3), horizon (1,023 steps), gravity (3.8), material (mu = lambda = 10: E = 25, nu = 0.25)
// and actuation (vertical fibres, strength 4, one channel a leg, a sinusoid of omega 20 through
// tanh). It times, on the wall clock, a forward rollout and one gradient of the loss (minus the
// mean x of the body at the end) through the adjoint, with the default checkpoints and with every
// state kept (as DiffTaichi's Tape keeps them), after warm-ups, and prints medians.
//
//   npx vite-node scripts/peers/diffmpm-robot.ts [--rounds 5] [--out scene.json]
import '../v8-flags';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { requestGpu } from '../../src/gpu/device';
import { createObjective } from '../../src/index';
import { Rollout } from '../../src/core/rollout';
import { createSimulator } from '../../src/simulators';
import { exportSceneJson, validateScene } from '../../src/mpm/validate';
import { addGroup, fillBox, finalizeScene, sceneBase, setActuation } from '../../scenes/builders';
import type { MpmScene } from '../../src/mpm/scene';

const { values: args } = parseArgs({ options: { rounds: { type: 'string' }, out: { type: 'string' } } });
const ROUNDS = Number(args.rounds ?? 5);

const RES = 128, DT = 1e-3, STEPS = 1023;

function diffmpmRobot(): MpmScene {
  const dx = 1 / RES;
  const scene = sceneBase({
    name: 'diffmpm-robot-2d', description: "DiffTaichi diffmpm.py's robot: a body on four actuated legs, 2,976 particles",
    dim: 2, res: [RES, RES], dt: DT, steps: STEPS, gravity: [0, -3.8],
    // diffmpm: 3 wall cells, sticky on the sides, Coulomb friction 0.5 on the ground
    boundary: { walls: 'sticky', groundFriction: 0.5, boundCells: 3 },
  });
  const material = { material: 'elastic' as const, E: 25, nu: 0.25, density: 1 };
  const body = addGroup(scene, { name: 'body', ...material });
  // diffmpm's offset (0.1, 0.03); its rectangles hold int(w / dx) * 2 x int(h / dx) * 2 particles
  const ox = 0.1, oy = 0.03;
  const rect = (g: number, x: number, y: number, wCells: number, hCells: number) =>
    fillBox(scene, g, [ox + x, oy + y], [ox + x + wCells * dx, oy + y + hCells * dx], { ppc: 2 });
  rect(body, 0, 0.1, 38, 12);
  [0, 0.05, 0.2, 0.25].forEach((x, k) => {
    const leg = addGroup(scene, { name: `leg${k}`, ...material, actuator: { channel: k, strength: 4, fiber: [0, 1] } });
    rect(leg, x, 0, 6, 12);
  });
  setActuation(scene, 4, Array.from({ length: STEPS }, () => [0, 0, 0, 0]));
  scene.loss = { kind: 'com-travel', group: body, axis: 0, direction: 1 };
  // diffmpm's 4 phase-shifted sines of one frequency are one harmonic's sine and cosine
  scene.optimize = { params: ['actuation.periodic'], period: Math.round((2 * Math.PI) / 20 / DT), harmonics: 1, learningRate: 0.1, iterations: 10 };
  return validateScene(finalizeScene(scene)) as MpmScene;
}

const scene = diffmpmRobot();
if (args.out) writeFileSync(args.out, exportSceneJson(scene));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const gpu = await requestGpu();
try {
  console.log(`diffmpm robot: ${scene.particles.group.length} particles, ${RES}^2 grid, ${STEPS} steps, dt ${DT}; ${ROUNDS} rounds after 2 warm-ups`);
  const sim = await createSimulator(gpu, scene);
  const roll = new Rollout(sim, STEPS, 'auto');
  const fwd: number[] = [];
  for (let r = 0; r < ROUNDS + 2; r++) {
    const t0 = performance.now();
    await roll.forward();
    fwd.push((performance.now() - t0) / 1000);
  }
  roll.destroy();
  sim.destroy();
  console.log(`forward rollout: median ${median(fwd.slice(2)).toFixed(3)} s (${fwd.slice(2).map((t) => t.toFixed(3)).join(', ')})`);
  for (const checkpoint of ['auto', 'full'] as const) {
    const objective = await createObjective(gpu, scene, { params: ['actuation.periodic'], steps: STEPS, checkpoint,
      shape: { period: scene.optimize!.period, harmonics: 1 } });
    const theta = objective.initial().map((_, i) => 0.01 * Math.sin(1 + i));
    const times: number[] = [];
    let loss = 0;
    for (let r = 0; r < ROUNDS + 2; r++) {
      const t0 = performance.now();
      loss = (await objective.gradient(theta)).loss;
      times.push((performance.now() - t0) / 1000);
    }
    objective.destroy();
    console.log(`gradient (${checkpoint === 'auto' ? 'default checkpoints' : 'every state kept'}): median ${median(times.slice(2)).toFixed(3)} s (${times.slice(2).map((t) => t.toFixed(3)).join(', ')}), loss ${loss.toExponential(3)}`);
  }
} finally {
  gpu.destroy();
}
