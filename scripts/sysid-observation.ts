// Makes scenes/data/jelly-sysid-2d.json: the jelly-sysid-2d scene run forward with the hidden
// Young's modulus on this machine's WebGPU device, its particles' positions at the observed steps
// (a third, two thirds and all of the rollout), and the task's loss threshold (the smaller of the
// losses at E 5% below and 5% above the hidden value, so a loss under it puts E within 5%).
//
//   npx vite-node scripts/sysid-observation.ts
import './v8-flags';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requestGpu } from '../src/gpu/device';
import { SceneObjective } from '../src/opt/objective';
import { readF32 } from '../src/gpu/buffers';
import { positionField } from '../src/core/simulator';
import { build, HIDDEN_E, observationLoss } from '../scenes/jelly-sysid-2d';

const STEPS = 300;
const OBSERVED = [100, 200, STEPS];
const out = join(__dirname, '..', 'scenes', 'data', 'jelly-sysid-2d.json');

const gpu = await requestGpu();
const scene = build();
scene.steps = STEPS;
// any loss will do for the forward (the data file may still hold a placeholder observation)
const obj = await SceneObjective.create(gpu, { ...scene, loss: { kind: 'com-target', group: 0, target: [0.5, 0.5] } }, { params: ['groups[0].E'], steps: STEPS });
try {
  const start = scene.groups[0].E;
  const at = (E: number) => Float64Array.of(E / start); // the parameter is E relative to its start
  // the observation: positions at the observed steps with the hidden E
  const inputs = obj.params.inputs(at(HIDDEN_E));
  obj.sim.writeParams(inputs.ctrl);
  await obj.rollout.forward(inputs.state0, { keep: OBSERVED.slice(0, -1) });
  const { stride, items } = obj.sim.state, off = positionField(obj.sim.state).offset;
  const observations = [];
  for (const step of OBSERVED) {
    const s = await readF32(gpu.device, step === STEPS ? obj.rollout.final.buf : obj.rollout.kept(step));
    observations.push({ step, positions: Array.from({ length: items }, (_, p) => [s[p * stride + off], s[p * stride + off + 1]]) });
  }
  writeFileSync(out, `${JSON.stringify({ hiddenE: HIDDEN_E, steps: STEPS, threshold: 0, observations })}\n`);
  // the threshold, against that observation: the scene's own loss, built from the data file
  const scene2 = build();
  scene2.loss = observationLoss(observations);
  const obj2 = await SceneObjective.create(gpu, scene2, { params: ['groups[0].E'], steps: STEPS });
  const [lo, hi, exact] = await obj2.losses([at(0.95 * HIDDEN_E), at(1.05 * HIDDEN_E), at(HIDDEN_E)]);
  obj2.destroy();
  const threshold = Math.min(lo, hi);
  writeFileSync(out, `${JSON.stringify({ hiddenE: HIDDEN_E, steps: STEPS, threshold, observations })}\n`);
  console.log(`wrote ${out}: ${items} particles; loss at 0.95 E ${lo.toExponential(3)}, at 1.05 E ${hi.toExponential(3)}, at E ${exact.toExponential(3)}; threshold ${threshold.toExponential(3)}`);
} finally {
  obj.destroy();
  gpu.destroy();
}
