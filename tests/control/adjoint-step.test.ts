// The controller's kernels' adjoint for one step against central differences of the float64
// controller, on MPM's state layout (records of x, v, C, F): for L = g . a(state, weights), with a
// the actuation row the MLP writes, dL/dweights entry by entry and dL/dstate along random
// directions. The row's gradient is consumed (zeroed) where the inner simulator left it.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32, writeBuffer } from '../../src/gpu/buffers';
import { MpmSim } from '../../src/mpm/simulator';
import { SpringSim } from '../../src/springs/simulator';
import { ControlledSim } from '../../src/control/controlled-sim';
import { mlpRef, type ControllerSpec } from '../../src/control/controller';
import { controlledReference } from '../../src/control/gradcheck-subject';
import { stateFeaturesRef } from '../../src/control/reference';
import { mulberry32 } from '../../src/core/rng';
import type { Simulator } from '../../src/core/simulator';
import { tinyScene } from '../helpers/tiny-scenes';
import { chain2d } from '../helpers/spring-scenes';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

/** Largest entry error over the largest entry of the reference. */
const TOL = 1e-4;

const spec: ControllerSpec = { hidden: [16, 8], inputs: ['com', 'velocity', 'phase', 'goal'], periods: [0.01, 0.03], goal: [0.2, -0.1], scale: 0.7, seed: 4 };

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0, m = 0;
  for (let i = 0; i < b.length; i++) { e = Math.max(e, Math.abs(a[i] - b[i])); m = Math.max(m, Math.abs(b[i])); }
  return e / m;
}

async function check(inner: Simulator, dt: number, T: number) {
  const sim = await ControlledSim.create(inner, spec, { dt, steps: T });
  try {
    const t = 3, r = mulberry32(7);
    const act = sim.inner.actuationTarget!()!, A = act.channels;
    const g = Float32Array.from({ length: A }, () => r() - 0.5);
    const s0 = Float32Array.from(sim.state0);
    const s = sim.createState('s', s0);
    const gIn = sim.createState('g_in');
    sim.ensureSteps(t + 1);
    const enc = sim.device.createCommandEncoder();
    sim.clearAdjoint(enc);
    sim.device.queue.submit([enc.finish()]);
    const at = act.offset + Math.min(t, sim.horizon - 1) * A;
    writeBuffer(sim.device, sim.inner.paramGrad, g, at * 4);
    const enc2 = sim.device.createCommandEncoder();
    const pass = enc2.beginComputePass();
    sim.encodeController(pass, s, t);
    sim.encodeControllerAdjoint(pass, s, gIn, t);
    pass.end();
    sim.device.queue.submit([enc2.finish()]);
    const gState = await readF32(sim.device, gIn);
    const gW = sim.params.unpack(await readF32(sim.device, sim.paramGrad), 0).subarray(sim.inner.params.size);
    expect(Array.from(await readF32(sim.device, sim.inner.paramGrad, at, A))).toEqual(new Array(A).fill(0));

    const ref = controlledReference(sim, () => { throw new Error('unused'); });
    const w = sim.params.values(0).subarray(sim.inner.params.size);
    const L = (ww: ArrayLike<number>, ss: ArrayLike<number>) => mlpRef(sim.layout, ww, stateFeaturesRef(ref, ss, t)).reduce((acc, a, c) => acc + g[c] * a, 0);
    const h = 1e-6;
    const fdW = Array.from(w, (_, i) => {
      const p = Float64Array.from(w), m = Float64Array.from(w);
      p[i] += h; m[i] -= h;
      return (L(p, s0) - L(m, s0)) / (2 * h);
    });
    const eW = relErr(gW, fdW);
    // the state: along random directions over every float (C and F included, which it must not read)
    const dirs = [0, 1, 2].map(() => Float64Array.from(s0, () => r() - 0.5));
    const fdS = dirs.map((d) => (L(w, Float64Array.from(s0, (x, i) => x + h * d[i])) - L(w, Float64Array.from(s0, (x, i) => x - h * d[i]))) / (2 * h));
    const gpuS = dirs.map((d) => d.reduce((acc, x, i) => acc + x * gState[i], 0));
    const eS = relErr(gpuS, fdS);
    console.log(`${sim.kind}: dL/dweights rel ${eW.toExponential(2)}, dL/dstate rel ${eS.toExponential(2)}`);
    expect(eW).toBeLessThan(TOL);
    expect(eS).toBeLessThan(TOL);
    expect(Math.max(...fdS.map(Math.abs))).toBeGreaterThan(0);
    s.destroy();
    gIn.destroy();
  } finally {
    sim.destroy();
  }
}

test('MPM layout: one step of the controller adjoint matches float64 central differences', async () => {
  const scene = tinyScene({ dim: 2, actuated: true, material: 'elastic' });
  await check(await MpmSim.create(gpu, scene), scene.dt, scene.steps);
});

test('spring layout: one step of the controller adjoint matches float64 central differences', async () => {
  const scene = chain2d({ steps: 20 });
  await check(await SpringSim.create(gpu, scene), scene.dt, scene.steps);
});
