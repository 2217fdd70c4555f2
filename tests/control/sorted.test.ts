// A closed-loop controller around an MPM simulator that re-sorts its particles (sortEvery): the
// features and their adjoint read each particle's mass fraction through the state's order, so the
// controlled rollout agrees with the unsorted one in the user's order (p2g and the feature sums add
// in another order: not bit for bit), checkpointed gradients equal the full tape's bit for bit with
// sorts inside a segment and on its boundaries, B = 2 equals two B = 1 runs byte for byte, and the
// gradient matches float64 central differences.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import { PipelineCache } from '../../src/gpu/pipeline-cache';
import { Rollout } from '../../src/core/rollout';
import { createLoss } from '../../src/core/loss';
import { gradcheck } from '../../src/core/gradcheck';
import { MpmSim } from '../../src/mpm/simulator';
import { ControlledSim } from '../../src/control/controlled-sim';
import { controlledMpmSubject } from '../../src/control/gradcheck-subject';
import type { ControllerSpec } from '../../src/control/controller';
import type { MpmScene } from '../../src/mpm/scene';
import { tinyScene } from '../helpers/tiny-scenes';
import { expectCopiesMatch, relDiff, same } from '../helpers/batch-checks';

let gpu: GpuContext;
let cache: PipelineCache;
beforeAll(async () => { gpu = await requestGpu(); cache = new PipelineCache(gpu.device); });
afterAll(() => gpu?.destroy());

const T = 12;
const K = 4; // sorts before steps 0, 4 and 8
/** Particles of unequal volumes, so their mass fractions differ and a feature read in the wrong order shows. */
const unequal = (s: MpmScene, steps: number): MpmScene => ({ ...s, steps, particles: { ...s.particles, vol: s.particles.vol.map((v, i) => v * (1 + 0.5 * Math.sin(1.7 * i))) } });
const scene = unequal(tinyScene({ dim: 2, material: 'elastic', actuated: true, collider: true, res: 16, lo: 0.25, hi: 0.55 }), T);
const spec: ControllerSpec = { hidden: [8], inputs: ['com', 'velocity', 'phase', 'goal'], periods: [0.004], goal: [[0.3], [-0.2]], scale: 1, seed: 2 };

async function make(sortEvery: number, batch = 1): Promise<ControlledSim> {
  return ControlledSim.create(await MpmSim.create(gpu, scene, { sortEvery, batch, cache }), spec, { dt: scene.dt, steps: T });
}

interface Run { final: Float32Array; g: Float32Array; gc: Float32Array; L: number[]; feat: Float32Array }

/** Forward and backward of a com-target loss on the final state plus a term injected at step 5, in checkpoint mode `mode`. */
async function run(sim: ControlledSim, mode: 'full' | number, state0 = sim.state0): Promise<Run> {
  const loss = await createLoss(sim, { kind: 'com-target', target: [0.6, 0.3] });
  const r = new Rollout(sim, T, mode);
  const perCopy = sim.state.items * sim.state.stride;
  const inj = sim.createState('test.inject', Float32Array.from({ length: sim.stateBytes / 4 }, (_, i) => Math.sin((i % perCopy) * 0.37) * 1e-2));
  try {
    await r.forward(state0, { keep: [5] });
    const final = await readF32(gpu.device, r.final.buf);
    const feat = await sim.readFeatures(); // the last step's features
    const L = (await loss.evaluate(r.final.buf)).values;
    const g = await readF32(gpu.device, await r.backward(loss.grad, { inject: new Map([[5, inj]]) }));
    const gc = await readF32(gpu.device, sim.paramGrad);
    return { final, g, gc, L, feat };
  } finally {
    inj.destroy();
    r.destroy();
    loss.destroy();
  }
}

describe('a controller around a sorted MPM rollout (2D, sortEvery = 4)', () => {
  test('user order at the API; close to unsorted; checkpointed = full tape bit for bit; B = 2 = two B = 1 runs', async () => {
    const plain = await make(0);
    const sorted = await make(K);
    try {
      expect(sorted.itemOrder).toBeDefined();
      const ref = await run(plain, 'full');
      const full = await run(sorted, 'full');
      // segments of 3 (sorts at 4 and 8 inside a segment) and of 4 (every sort on a boundary)
      for (const mode of [3, 4]) {
        const ck = await run(sorted, mode);
        expect(same(ck.g, full.g), `mode ${mode}: dL/dstate0`).toBe(true);
        expect(same(ck.gc, full.gc), `mode ${mode}: dL/dcontrols`).toBe(true);
        expect(same(ck.final, full.final)).toBe(true);
      }
      // the same physics and features as unsorted, the sums in another order
      const errs = {
        final: relDiff(full.final, ref.final), features: relDiff(full.feat, ref.feat), loss: Math.abs(full.L[0] - ref.L[0]) / Math.abs(ref.L[0]),
        g: relDiff(full.g, ref.g), controller: 0,
      };
      expect(errs.final).toBeLessThan(1e-5);
      expect(errs.features).toBeLessThan(1e-4);
      expect(errs.loss).toBeLessThan(1e-5);
      expect(errs.g).toBeLessThan(1e-3);
      const gs = sorted.params.unpack(full.gc, 0), gr = plain.params.unpack(ref.gc, 0);
      for (const k of sorted.params.blocks) {
        const x = Float32Array.from(k.indices, (i) => gs[i]), y = Float32Array.from(k.indices, (i) => gr[i]);
        if (!y.some((v) => v !== 0)) continue;
        const e = relDiff(x, y);
        if (k.kind === 'controller') errs.controller = e;
        expect(e, k.name).toBeLessThan(2e-3);
      }
      expect(gs.subarray(sorted.inner.params.size).some((x) => x !== 0), 'the weights carry a gradient').toBe(true);
      console.log('controlled, sorted vs unsorted (relative):', Object.entries(errs).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', '));

      // B = 2 (copy 1 from other velocities, another goal) equals two B = 1 runs, byte for byte
      const s1 = sorted.state0.map((x, i) => (i % 12 === 2 ? x + 0.05 : x));
      sorted.setGoals([[-0.2]]);
      const one = await run(sorted, 4, s1);
      sorted.setGoals([[0.3]]);
      const pair = await make(K, 2);
      try {
        const both = new Float32Array(2 * s1.length);
        both.set(sorted.state0, 0);
        both.set(s1, s1.length);
        const two = await run(pair, 4, both);
        expectCopiesMatch(two, full, one, pair.params, sorted.params);
        expect(same(two.gc, (await run(pair, 'full', both)).gc), 'repeated: the same bytes').toBe(true);
      } finally {
        pair.destroy();
      }
    } finally {
      sorted.destroy();
      plain.destroy();
    }
  }, 120_000);

  test('gradcheck with sorting: the controlled GPU adjoint against float64 central differences', async () => {
    const small = unequal(tinyScene({ dim: 2, material: 'elastic', actuated: true, collider: true, res: 16, lo: 0.3, hi: 0.48 }), 6);
    const s: ControllerSpec = { hidden: [8], inputs: ['com', 'velocity', 'phase'], periods: [0.004], scale: 1, seed: 3 };
    const subject = await controlledMpmSubject(gpu, small, s, { sortEvery: 2 });
    try {
      const r = await gradcheck(subject, { steps: 6, seed: 4 });
      for (const c of r.checks) console.log(`controlled, sorted ${c.param}: ${c.analytic.toExponential(4)} vs ${c.numeric.toExponential(4)} rel ${c.relError.toExponential(2)}`);
      expect(r.checks.find((c) => c.param === 'controller')?.analytic).not.toBe(0);
      expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    } finally {
      subject.destroy?.();
    }
  }, 120_000);
});
