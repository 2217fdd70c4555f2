// Controlled rollouts in batches: B copies with different weights and goals each equal their own
// B = 1 run bit for bit (final state, dL/dstate0, dL/dcontrols); repeated runs give the same bytes;
// the checkpointed gradient equals the full tape's.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import { Rollout } from '../../src/core/rollout';
import type { CheckpointMode } from '../../src/core/checkpoint-schedule';
import { mulberry32 } from '../../src/core/rng';
import { SpringSim } from '../../src/springs/simulator';
import { MpmSim } from '../../src/mpm/simulator';
import { ControlledSim } from '../../src/control/controlled-sim';
import { initialWeights, type ControllerSpec } from '../../src/control/controller';
import { PipelineCache } from '../../src/gpu/pipeline-cache';
import { chain2d } from '../helpers/spring-scenes';
import { tinyScene } from '../helpers/tiny-scenes';

let gpu: GpuContext;
let cache: PipelineCache;
beforeAll(async () => { gpu = await requestGpu(); cache = new PipelineCache(gpu.device); });
afterAll(() => gpu?.destroy());

const goals = [[0.3], [-0.2], [0.7]];
const spec: ControllerSpec = { hidden: [16], inputs: ['com', 'velocity', 'phase', 'goal'], periods: [0.01], goal: goals, seed: 2 };
const B = goals.length;

interface Family { name: string; make: (batch: number) => Promise<ControlledSim>; steps: number }

const families: Family[] = [
  { name: 'springs', steps: 24, make: async (batch) => {
    const scene = chain2d({ steps: 24 });
    return ControlledSim.create(await SpringSim.create(gpu, scene, { batch, cache }), spec, { dt: scene.dt, steps: scene.steps });
  } },
  { name: 'MPM', steps: 12, make: async (batch) => {
    const scene = tinyScene({ dim: 2, actuated: true, material: 'elastic' });
    return ControlledSim.create(await MpmSim.create(gpu, scene, { batch, cache }), spec, { dt: scene.dt, steps: scene.steps });
  } },
];

/** Copy b gets weights of seed 10 + b and goal b (of the copies given). */
function setCopies(sim: ControlledSim, copies: number[]): void {
  const rec = sim.paramValues.slice();
  copies.forEach((c, b) => {
    const v = sim.params.values(b);
    v.set(initialWeights(sim.layout, 10 + c), sim.inner.params.size);
    sim.params.pack(rec, b, v);
  });
  sim.writeParams(rec);
  sim.setGoals(copies.map((c) => goals[c]));
}

async function run(sim: ControlledSim, steps: number, mode: CheckpointMode) {
  const one = sim.state.items * sim.state.stride, r = mulberry32(3);
  const w1 = Float32Array.from({ length: one }, () => r() - 0.5);
  const w = new Float32Array(sim.stateBytes / 4);
  for (let b = 0; b < sim.batch; b++) w.set(w1, b * one);
  const tape = new Rollout(sim, steps, mode);
  const gFinal = sim.createState('w', w);
  try {
    if (mode !== 'full') expect(tape.memory().segments).toBeGreaterThan(1);
    await tape.forward();
    const final = await readF32(sim.device, tape.final.buf);
    const gState = await readF32(sim.device, await tape.backward(gFinal));
    const gCtrl = await readF32(sim.device, sim.paramGrad);
    return { final, gState, gCtrl, one };
  } finally {
    gFinal.destroy();
    tape.destroy();
  }
}

for (const f of families) {
  test(`${f.name}: ${B} controlled copies with different weights equal their own single runs bit for bit`, async () => {
    const batch = await f.make(B);
    try {
      setCopies(batch, [0, 1, 2]);
      const all = await run(batch, f.steps, 'auto');
      for (let b = 0; b < B; b++) {
        const single = await f.make(1);
        try {
          setCopies(single, [b]);
          const s = await run(single, f.steps, 'auto');
          const slice = (a: Float32Array) => Array.from(a.subarray(b * s.one, (b + 1) * s.one));
          expect(slice(all.final)).toEqual(Array.from(s.final.subarray(0, s.one)));
          expect(slice(all.gState)).toEqual(Array.from(s.gState.subarray(0, s.one)));
          const gb = batch.params.unpack(all.gCtrl, b), g1 = single.params.unpack(s.gCtrl, 0);
          expect(Array.from(gb)).toEqual(Array.from(g1));
          // the controller's block carries a gradient
          expect(gb.subarray(batch.inner.params.size).some((x) => x !== 0)).toBe(true);
        } finally {
          single.destroy();
        }
      }
      // the copies differ (else the test above proves little)
      expect(Array.from(all.final.subarray(0, all.one))).not.toEqual(Array.from(all.final.subarray(all.one, 2 * all.one)));
    } finally {
      batch.destroy();
    }
  });

  test(`${f.name}: repeated controlled gradients are the same bytes, checkpointed as the full tape`, async () => {
    const sim = await f.make(B);
    try {
      setCopies(sim, [0, 1, 2]);
      const a = await run(sim, f.steps, 'auto');
      const again = await run(sim, f.steps, 'auto');
      const full = await run(sim, f.steps, 'full');
      for (const k of ['final', 'gState', 'gCtrl'] as const) {
        expect(Buffer.from(again[k].buffer).equals(Buffer.from(a[k].buffer))).toBe(true);
        expect(Buffer.from(full[k].buffer).equals(Buffer.from(a[k].buffer))).toBe(true);
      }
    } finally {
      sim.destroy();
    }
  });
}
