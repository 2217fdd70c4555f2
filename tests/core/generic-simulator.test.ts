// The runtime is written once against the Simulator interface: a second, minimal simulator
// (tests/helpers/ballistic-sim.ts: its own WGSL, its own adjoint, nothing of MPM) runs through the
// same checkpointed Rollout, loss and named parameters, and its gradients match central finite
// differences of its float64 reference.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import { Rollout } from '../../src/core/rollout';
import { createLoss } from '../../src/core/loss';
import { ParameterVector } from '../../src/opt/parameters';
import { mulberry32 } from '../../src/core/rng';
import { gradcheck, simulatorSubject } from '../../src/core/gradcheck';
import { BallisticSim, ballisticReference, type BallisticScene } from '../helpers/ballistic-sim';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

const T = 40;
function scene(dim: 2 | 3): BallisticScene {
  const r = mulberry32(3);
  const n = 37;
  return {
    dim, dt: 0.01, g: -9.8, drag: 0.7,
    state0: Array.from({ length: n * 2 * dim }, (_, i) => (i % (2 * dim) < dim ? 0.3 + 0.4 * r() : r() - 0.5)),
    push: Array.from({ length: T }, (_, t) => Math.sin(t / 5)),
  };
}

const target = [0.6, 0.1, 0.4];
/** The loss of the float64 reference: |com - target|^2 over the first `dim` axes, items weighted equally. */
function refLoss(s: BallisticScene, state0: ArrayLike<number>, ctrl: ArrayLike<number>): number {
  const f = ballisticReference(s, state0, ctrl, T);
  const d = s.dim, n = f.length / (2 * d);
  let L = 0;
  for (let i = 0; i < d; i++) {
    let c = 0;
    for (let p = 0; p < n; p++) c += f[p * 2 * d + i] / n;
    L += (c - target[i]) ** 2;
  }
  return L;
}

for (const dim of [2, 3] as const) {
  test(`${dim}D: checkpointed gradients equal the full tape bit for bit and match float64 central differences`, async () => {
    const s = scene(dim);
    const sim = await BallisticSim.create(gpu, s);
    const loss = await createLoss(sim, { kind: 'com-target', target: target.slice(0, dim) });
    const grads = [];
    for (const mode of ['full', 'auto', 3] as const) {
      const r = new Rollout(sim, T, mode);
      const status = await r.forward();
      expect(status.badStep).toBeNull();
      const L = await loss.evaluate(r.final.buf);
      const g = await readF32(gpu.device, await r.backward(loss.grad));
      grads.push({ L: L.values[0], g, gc: await readF32(gpu.device, sim.paramGrad) });
      r.destroy();
    }
    for (const o of grads.slice(1)) {
      expect(Buffer.from(o.g.buffer).equals(Buffer.from(grads[0].g.buffer))).toBe(true);
      expect(Buffer.from(o.gc.buffer).equals(Buffer.from(grads[0].gc.buffer))).toBe(true);
    }
    const ctrl = [s.drag, ...s.push];
    expect(grads[0].L).toBeCloseTo(refLoss(s, s.state0, ctrl), 5);
    // central differences of the reference along random directions of each input kind
    const rand = mulberry32(11);
    const check = (analytic: (d: number[]) => number, perturb: (d: number[], h: number) => number, len: number, h: number) => {
      const d = Array.from({ length: len }, () => rand() - 0.5);
      const fd = (perturb(d, h) - perturb(d, -h)) / (2 * h);
      const a = analytic(d);
      expect(Math.sign(a)).toBe(Math.sign(fd));
      expect(Math.abs(a - fd)).toBeLessThan(1e-3 * Math.abs(fd) + 1e-6);
    };
    const { g, gc } = grads[0];
    const dot = (x: ArrayLike<number>, d: number[]) => d.reduce((acc, di, i) => acc + di * x[i], 0);
    check((d) => dot(g, d), (d, h) => refLoss(s, s.state0.map((x, i) => x + h * d[i]), ctrl), s.state0.length, 1e-5);
    check((d) => dot(gc, d), (d, h) => refLoss(s, s.state0, ctrl.map((x, i) => x + h * d[i])), ctrl.length, 1e-5);
    loss.destroy();
    sim.destroy();
  });
}

test('named parameters and batch copies work on it as on MPM: each copy its own B = 1 run', async () => {
  const s = scene(2);
  const B = 3;
  const simB = await BallisticSim.create(gpu, s, { batch: B });
  const sim1 = await BallisticSim.create(gpu, s);
  const lossB = await createLoss(simB, { kind: 'com-target', target: [0.6, 0.1] });
  const loss1 = await createLoss(sim1, { kind: 'com-target', target: [0.6, 0.1] });
  const packed = simB.paramValues.slice();
  for (let b = 0; b < B; b++) packed[b * (1 + T)] = 0.5 + 0.2 * b; // a drag per copy
  simB.writeParams(packed);
  const rB = new Rollout(simB, T);
  await rB.forward();
  const LB = await lossB.evaluate(rB.final.buf);
  const gB = await readF32(gpu.device, await rB.backward(lossB.grad));
  const gcB = await readF32(gpu.device, simB.paramGrad);
  const per = sim1.state0.length;
  const p = new ParameterVector(sim1, ['drag']);
  for (let b = 0; b < B; b++) {
    const theta = p.initial();
    theta[0] = (0.5 + 0.2 * b) / s.drag;
    const inputs = p.inputs(theta);
    sim1.writeParams(inputs.ctrl);
    const r1 = new Rollout(sim1, T);
    await r1.forward(inputs.state0);
    const L1 = await loss1.evaluate(r1.final.buf);
    const g1 = await readF32(gpu.device, await r1.backward(loss1.grad));
    const grad = p.gradient(g1, await readF32(gpu.device, sim1.paramGrad));
    expect(L1.values[0]).toBe(LB.values[b]);
    expect(Buffer.from(g1.buffer).equals(Buffer.from(gB.slice(b * per, (b + 1) * per).buffer))).toBe(true);
    expect(grad[0]).toBeCloseTo(gcB[b * (1 + T)] * s.drag, 4);
    r1.destroy();
  }
  rB.destroy();
  for (const x of [lossB, loss1, simB, sim1]) x.destroy();
});

test('gradcheck takes any simulator and its parameter space: the honest adjoint passes, a wrong one fails in its block', async () => {
  const s = scene(2);
  const run = async (wrongAdjoint: boolean) => {
    const sim = await BallisticSim.create(gpu, s, { wrongAdjoint });
    const subject = simulatorSubject(sim, {
      name: 'ballistic', tolerance: 1e-2, stateEps: { x: 1e-5, v: 1e-5 },
      reference: (s0, c, steps) => ballisticReference(s, s0, c, steps),
    });
    try {
      return await gradcheck(subject, { steps: T, seed: 5 });
    } finally {
      subject.destroy?.();
    }
  };
  const honest = await run(false);
  expect(honest.checks.map((c) => c.block)).toEqual(expect.arrayContaining(['x0', 'v0', 'drag', 'actuation']));
  expect(honest.ok, JSON.stringify(honest.checks.filter((c) => !c.ok))).toBe(true);
  expect(honest.maxRelError).toBeLessThan(1e-3);
  const wrong = await run(true);
  expect(wrong.ok).toBe(false);
  expect([...new Set(wrong.checks.filter((c) => !c.ok).map((c) => c.block))]).toEqual(['drag']);
});
