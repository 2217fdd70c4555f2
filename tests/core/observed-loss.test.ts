// Losses that observe states along the way (a term's `step`): the rollout keeps those states aside
// in its forward, and its backward adds each one's gradient as it passes the step. Checked on the
// ballistic simulator against central differences of its float64 reference, and on MPM, whose
// step adjoints fuse work across steps, against the sum of separate rollouts' gradients.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import { Rollout } from '../../src/core/rollout';
import { createLoss, type LossDesc } from '../../src/core/loss';
import { mulberry32 } from '../../src/core/rng';
import { createSimulator } from '../../src/simulators';
import { BallisticSim, ballisticReference, type BallisticScene } from '../helpers/ballistic-sim';
import { tinyScene } from '../helpers/tiny-scenes';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

const T = 40, OBS = 13;

test('a term at step 13 and one at the last step: checkpointed equals full tape, and float64 central differences agree', async () => {
  const r = mulberry32(5);
  const n = 11;
  const s: BallisticScene = {
    dim: 2, dt: 0.01, g: -9.8, drag: 0.7,
    state0: Array.from({ length: n * 4 }, (_, i) => (i % 4 < 2 ? 0.3 + 0.4 * r() : r() - 0.5)),
    push: Array.from({ length: T }, (_, t) => Math.cos(t / 7)),
  };
  const observed = Array.from({ length: 3 }, () => [0.4 + 0.1 * r(), 0.5 + 0.1 * r()]);
  const items = [2, 7, 9];
  const desc: LossDesc = { kind: 'weighted-sum', terms: [
    { weight: 2, loss: { kind: 'match-positions', items, target: observed, step: OBS } },
    { weight: 1, loss: { kind: 'com-target', target: [0.6, 0.2] } },
  ] };
  const ref = (state0: ArrayLike<number>, ctrl: ArrayLike<number>) => {
    const a = ballisticReference(s, state0, ctrl, OBS), b = ballisticReference(s, state0, ctrl, T);
    let L = 0;
    items.forEach((it, k) => { for (let d = 0; d < 2; d++) L += (2 * (a[it * 4 + d] - observed[k][d]) ** 2) / items.length; });
    for (let d = 0; d < 2; d++) {
      let c = 0;
      for (let p = 0; p < n; p++) c += b[p * 4 + d] / n;
      L += (c - [0.6, 0.2][d]) ** 2;
    }
    return L;
  };
  const sim = await BallisticSim.create(gpu, s);
  const loss = await createLoss(sim, desc, { steps: T });
  expect(loss.observed).toEqual([OBS]);
  const runs = [];
  for (const mode of ['full', 'auto', 3] as const) {
    const ro = new Rollout(sim, T, mode);
    await ro.forward(undefined, { keep: loss.observed });
    const L = await loss.evaluate(ro.final.buf, (t) => ro.kept(t));
    const g = await readF32(gpu.device, await ro.backward(loss.grad, { inject: new Map([[OBS, loss.gradAt(OBS)]]) }));
    runs.push({ L: L.values[0], g, gc: await readF32(gpu.device, sim.paramGrad) });
    ro.destroy();
  }
  for (const o of runs.slice(1)) {
    expect(Buffer.from(o.g.buffer).equals(Buffer.from(runs[0].g.buffer))).toBe(true);
    expect(Buffer.from(o.gc.buffer).equals(Buffer.from(runs[0].gc.buffer))).toBe(true);
  }
  const ctrl = [s.drag, ...s.push];
  expect(runs[0].L).toBeCloseTo(ref(s.state0, ctrl), 5);
  const dot = (x: ArrayLike<number>, d: number[]) => d.reduce((acc, di, i) => acc + di * x[i], 0);
  for (const [grad, len, perturb] of [
    [runs[0].g, s.state0.length, (d: number[], h: number) => ref(s.state0.map((x, i) => x + h * d[i]), ctrl)],
    [runs[0].gc, ctrl.length, (d: number[], h: number) => ref(s.state0, ctrl.map((x, i) => x + h * d[i]))],
  ] as const) {
    const d = Array.from({ length: len }, () => r() - 0.5), h = 1e-5;
    const fd = (perturb(d, h) - perturb(d, -h)) / (2 * h), a = dot(grad, d);
    expect(Math.abs(a - fd), `${a} vs ${fd}`).toBeLessThan(1e-3 * Math.abs(fd) + 1e-6);
    // without the observed term's gradient the check fails: it is not lost in the noise
    const ro = new Rollout(sim, T);
    await ro.forward(undefined, { keep: loss.observed });
    await loss.evaluate(ro.final.buf, (t) => ro.kept(t));
    const g2 = await readF32(gpu.device, await ro.backward(loss.grad));
    const gc2 = await readF32(gpu.device, sim.paramGrad);
    const a2 = dot(grad === runs[0].g ? g2 : gc2, d);
    expect(Math.abs(a2 - fd)).toBeGreaterThan(1e-2 * Math.abs(fd));
    ro.destroy();
  }
  // a step past the rollout, and a rollout asked to keep a step it does not have, are refused
  await expect(createLoss(sim, { kind: 'com-target', target: [0, 0], step: T + 1 }, { steps: T })).rejects.toThrow(/loss\.step = 41 is past the rollout's last step: allowed integers in \[0, 40\]/);
  await expect(createLoss(sim, { kind: 'com-target', target: [0, 0], step: 3 })).rejects.toThrow(/needs the rollout's steps/);
  loss.destroy();
  sim.destroy();
});

test('MPM (fused step adjoints): the gradient of an observed term equals that of a rollout ending there', async () => {
  const scene = tinyScene({ dim: 2, material: 'elastic', actuated: true });
  const sim = await createSimulator(gpu, scene);
  const Tm = 24, At = 9;
  const target = [0.42, 0.38];
  const both = await createLoss(sim, { kind: 'weighted-sum', terms: [
    { weight: 1, loss: { kind: 'com-target', target, step: At } },
    { weight: 1, loss: { kind: 'com-target', target } },
  ] }, { steps: Tm });
  const run = async (steps: number, lossAt: typeof both, inject: boolean) => {
    const ro = new Rollout(sim, steps, 'auto');
    await ro.forward(undefined, { keep: lossAt.observed });
    await lossAt.evaluate(ro.final.buf, (t) => ro.kept(t));
    const g = await readF32(gpu.device, await ro.backward(lossAt.grad, inject ? { inject: new Map(lossAt.observed.map((t) => [t, lossAt.gradAt(t)])) } : {}));
    const gc = await readF32(gpu.device, sim.paramGrad);
    ro.destroy();
    return { g, gc };
  };
  const joint = await run(Tm, both, true);
  const single = await createLoss(sim, { kind: 'com-target', target }, { steps: Tm });
  const early = await run(At, single, false), late = await run(Tm, single, false);
  const scale = Math.max(...Array.from(joint.g, Math.abs));
  let worst = 0;
  joint.g.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - early.g[i] - late.g[i])); });
  expect(worst / scale).toBeLessThan(1e-4);
  const cscale = Math.max(...Array.from(joint.gc, Math.abs));
  let cworst = 0;
  joint.gc.forEach((v, i) => { cworst = Math.max(cworst, Math.abs(v - early.gc[i] - late.gc[i])); });
  expect(cworst / cscale).toBeLessThan(1e-4);
  for (const l of [both, single]) l.destroy();
  sim.destroy();
});
