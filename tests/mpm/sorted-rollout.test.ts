// MPM rollouts that re-sort their particles (MpmSim's sortEvery, docs/design.md "Particle order"):
// everything a user sees stays in the scene's order, checkpointed gradients equal the full tape's
// bit for bit with sorts inside a segment and on its boundaries, each batch copy equals its own
// B = 1 run, and the gradient agrees with the unsorted rollout's and with float64 differences.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import { MpmSim } from '../../src/mpm/simulator';
import { Rollout } from '../../src/core/rollout';
import { recordFrames } from '../../src/core/record';
import { createLoss } from '../../src/core/loss';
import { gradcheck } from '../../src/core/gradcheck';
import { PipelineCache } from '../../src/gpu/pipeline-cache';
import { createSimulator, gradcheckSubject, withSortEvery } from '../../src/simulators';
import { SimRunner } from '../../src/viewer/sim-runner';
import type { MpmScene } from '../../src/mpm/scene';
import { tinyScene } from '../helpers/tiny-scenes';
import { expectCopiesMatch, relDiff, same } from '../helpers/batch-checks';
import { chain2d } from '../helpers/spring-scenes';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

const T = 12;
const K = 4; // sorts before steps 0, 4 and 8
// two groups (one actuated) whose particles the sort interleaves, a collider, 16 x 16 grid
const scene: MpmScene = { ...tinyScene({ dim: 2, material: 'elastic', actuated: true, collider: true, res: 16, lo: 0.25, hi: 0.55 }), steps: T };

interface Run { final: Float32Array; kept: Float32Array; g: Float32Array; gc: Float32Array; L: number[] }

/** Forward (keeping step 5) and backward of a com-target loss on the final state plus one on step 5, in checkpoint mode `mode`. */
async function run(sim: MpmSim, mode: 'full' | number, state0 = sim.packed.state0): Promise<Run> {
  const loss = await createLoss(sim, { kind: 'com-target', target: [0.6, 0.3] });
  const r = new Rollout(sim, T, mode);
  try {
    await r.forward(state0, { keep: [5] });
    const final = await readF32(gpu.device, r.final.buf);
    const kept = await readF32(gpu.device, r.kept(5));
    const L = (await loss.evaluate(r.final.buf)).values;
    // a second term on state 5: a gradient in the user's order, injected where the backward passes step 5
    const perCopy = kept.length / sim.batch; // each copy the same term
    const inj = sim.createState('test.inject', Float32Array.from(kept, (_, i) => Math.sin((i % perCopy) * 0.37) * 1e-2));
    const g0 = await r.backward(loss.grad, { inject: new Map([[5, inj]]) });
    const g = await readF32(gpu.device, g0);
    const gc = await readF32(gpu.device, sim.adjoint.gCtrl);
    inj.destroy();
    return { final, kept, g, gc, L };
  } finally {
    r.destroy();
    loss.destroy();
  }
}

describe('sorted MPM rollouts (2D, sortEvery = 4)', () => {
  test('sortEvery is checked: an integer >= 0; a controlled scene sorts too (tests/control/sorted.test.ts)', async () => {
    await expect(MpmSim.create(gpu, scene, { sortEvery: -1 })).rejects.toThrow('sortEvery = -1: allowed an integer >= 0');
    await expect(MpmSim.create(gpu, scene, { sortEvery: 2.5 })).rejects.toThrow('sortEvery = 2.5: allowed an integer >= 0');
    const controlled = { ...scene, controller: { hidden: [4], inputs: ['com' as const] } } as MpmScene;
    await expect(createSimulator(gpu, controlled, { sortEvery: -1 })).rejects.toThrow('sortEvery = -1: allowed an integer >= 0');
    const sim = await createSimulator(gpu, controlled, { sortEvery: 4 });
    try {
      expect(sim.itemOrder?.isUserOrder(0)).toBe(true);
      expect(sim.itemOrder?.isUserOrder(1)).toBe(false);
    } finally {
      sim.destroy();
    }
  });

  test('a scene\'s sortEvery is createSimulator\'s default, an explicit option wins, and the page never sorts', async () => {
    const cache = new PipelineCache(gpu.device);
    const fielded: MpmScene = { ...scene, sortEvery: K };
    const sims = [
      await createSimulator(gpu, fielded, { cache }),
      await createSimulator(gpu, fielded, { cache, sortEvery: 0 }),
      await createSimulator(gpu, scene, { cache, sortEvery: K }),
    ];
    const page = await SimRunner.create(gpu, fielded, cache);
    try {
      expect(sims.map((s) => s.itemOrder?.isUserOrder(1) ?? true)).toEqual([false, true, false]);
      expect(page.sim.itemOrder).toBeUndefined();
    } finally {
      for (const s of sims) s.destroy();
      page.destroy();
    }
    // what --sort-every does to a scene: sets the field (a spring scene takes only 0, and stays as it is)
    expect(withSortEvery(scene, K)).toEqual(fielded);
    expect(withSortEvery(fielded, K)).toBe(fielded);
    expect(withSortEvery(fielded, 0).sortEvery).toBe(0);
    const springs = chain2d();
    expect(withSortEvery(springs, 0)).toBe(springs);
    expect(() => withSortEvery(springs, 2)).toThrow('sortEvery = 2: allowed 0 for a springs scene (only MPM particles are sorted)');
  });

  test('user order at the API; checkpointed = full tape bit for bit; close to unsorted; B = 2 = two B = 1 runs', async () => {
    const plain = await MpmSim.create(gpu, scene);
    const sorted = await MpmSim.create(gpu, scene, { sortEvery: K, cache: plain.cache });
    try {
      const ref = await run(plain, 'full');
      const full = await run(sorted, 'full');
      // segments of 3 (sorts at 4 and 8 inside a segment) and of 4 (every sort on a boundary)
      for (const mode of [3, 4]) {
        const ck = await run(sorted, mode);
        expect(same(ck.g, full.g), `mode ${mode}: dL/dstate0`).toBe(true);
        expect(same(ck.gc, full.gc), `mode ${mode}: dL/dcontrols`).toBe(true);
        expect(same(ck.final, full.final)).toBe(true);
      }
      // the sort does reorder: the raw state after T steps is not in the scene's order
      const [a, b] = [sorted.createState('test.a', sorted.packed.state0), sorted.createState('test.b')];
      const enc = gpu.device.createCommandEncoder();
      const pass = enc.beginComputePass();
      for (let t = 0; t < T; t++) sorted.encodeStep(pass, t % 2 ? b : a, t % 2 ? a : b, t);
      pass.end();
      gpu.device.queue.submit([enc.finish()]);
      const raw = await readF32(gpu.device, T % 2 ? b : a);
      a.destroy(); b.destroy();
      expect(relDiff(raw, full.final)).toBeGreaterThan(0.1);
      // in the user's order, the same physics as unsorted (p2g sums a cell's particles in another order)
      expect(relDiff(full.final, ref.final)).toBeLessThan(1e-5);
      expect(relDiff(full.kept, ref.kept)).toBeLessThan(1e-5);
      expect(Math.abs(full.L[0] - ref.L[0])).toBeLessThan(1e-5 * Math.abs(ref.L[0]));
      // gradients: dL/dstate0 and every control (E, nu per group through the order, actuation, tracks)
      expect(relDiff(full.g, ref.g)).toBeLessThan(1e-3);
      const names = sorted.params.blocks.map((k) => k.name);
      const gs = sorted.params.unpack(full.gc, 0), gr = plain.params.unpack(ref.gc, 0);
      for (const k of sorted.params.blocks) {
        const x = Float32Array.from(k.indices, (i) => gs[i]), y = Float32Array.from(k.indices, (i) => gr[i]);
        if (y.some((v) => v !== 0)) expect(relDiff(x, y), k.name).toBeLessThan(2e-3);
      }
      expect(names).toContain('actuation');
      // replay frames in the user's order
      const rec = await recordFrames(sorted, T, 5);
      const recRef = await recordFrames(plain, T, 5);
      expect(rec.frames.length).toBe(recRef.frames.length);
      for (let f = 0; f < rec.frames.length; f++) expect(relDiff(rec.frames[f], recRef.frames[f])).toBeLessThan(1e-5);
      expect(same(rec.final, full.final)).toBe(true);

      // B = 2 (copy 1 from other velocities) equals two B = 1 runs, byte for byte
      const s1 = sorted.packed.state0.map((x, i) => (i % 12 === 2 ? x + 0.05 : x));
      const one = await run(sorted, 4, s1);
      const pair = await MpmSim.create(gpu, scene, { sortEvery: K, batch: 2, cache: plain.cache });
      try {
        const both = new Float32Array(2 * s1.length);
        both.set(sorted.packed.state0, 0);
        both.set(s1, s1.length);
        const two = await run(pair, 4, both);
        expectCopiesMatch(two, full, one, pair.params, sorted.params);
      } finally {
        pair.destroy();
      }
    } finally {
      sorted.destroy();
      plain.destroy();
    }
  });

  test('a window\'s gradient, dL/d(state at T - W), comes in the user\'s order: close to unsorted, checkpointed = full tape', async () => {
    const plain = await MpmSim.create(gpu, scene);
    const sorted = await MpmSim.create(gpu, scene, { sortEvery: K, cache: plain.cache });
    const window = async (sim: MpmSim, mode: 'full' | number, W: number) => {
      const r = new Rollout(sim, T, mode);
      const g = sim.createState('test.g', Float32Array.from({ length: sim.stateBytes / 4 }, (_, i) => Math.sin(i * 0.7)));
      try {
        await r.forward();
        return { g: await readF32(gpu.device, await r.backward(g, { window: W })), gc: await readF32(gpu.device, sim.adjoint.gCtrl) };
      } finally {
        g.destroy();
        r.destroy();
      }
    };
    try {
      // the window starts at state 7 (after the sort at step 4) or 4 (after the one at step 0): neither in the user's order
      for (const W of [5, 8]) {
        expect(sorted.itemOrder!.isUserOrder(T - W)).toBe(false);
        const ref = await window(plain, 'full', W);
        const full = await window(sorted, 'full', W);
        expect(relDiff(full.g, ref.g), `W = ${W}: dL/dstate${T - W}`).toBeLessThan(1e-3);
        const ck = await window(sorted, 3, W);
        expect(same(ck.g, full.g) && same(ck.gc, full.gc), `W = ${W}: checkpointed`).toBe(true);
      }
    } finally {
      sorted.destroy();
      plain.destroy();
    }
  });

  test('gradcheck with sorting: the GPU adjoint against float64 central differences', async () => {
    // a smaller block (36 particles) over 6 steps, sorted before steps 0, 2 and 4: the scene's field, as `torsion gradcheck` reads it
    const small: MpmScene = { ...tinyScene({ dim: 2, material: 'elastic', actuated: true, collider: true, res: 16, lo: 0.3, hi: 0.48 }), steps: 6, sortEvery: 2 };
    const subject = await gradcheckSubject(gpu, small);
    const rep = await gradcheck(subject, { seed: 3, steps: 6 }).finally(() => subject.destroy?.());
    for (const c of rep.checks) console.log(`sorted ${c.param}: ${c.analytic.toExponential(4)} vs ${c.numeric.toExponential(4)} rel ${c.relError.toExponential(2)}`);
    // the per-group sums of per-particle gradients (read through the order) are checked, not zeros
    for (const p of ['groups[0].E', 'groups[1].E', 'actuation']) expect(rep.checks.find((c) => c.param === p)?.analytic, p).not.toBe(0);
    expect(rep.checks.filter((c) => !c.ok)).toEqual([]);
  });
});
