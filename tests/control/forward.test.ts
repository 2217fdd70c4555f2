// The controller's forward on the GPU against the float64 controller: the features of a read-back
// state, and the actuation row the MLP writes for those features (rel 1e-5); the goal feature
// normalised by the spec's goals.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import { Rollout } from '../../src/core/rollout';
import { SpringSim } from '../../src/springs/simulator';
import { MpmSim } from '../../src/mpm/simulator';
import { ControlledSim } from '../../src/control/controlled-sim';
import { goalNorm, initialWeights, mlpRef, type ControllerSpec } from '../../src/control/controller';
import { controlledReference, } from '../../src/control/gradcheck-subject';
import { stateFeaturesRef } from '../../src/control/reference';
import type { Simulator } from '../../src/core/simulator';
import { chain2d } from '../helpers/spring-scenes';
import { tinyScene } from '../helpers/tiny-scenes';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

const FORWARD_TOL = 1e-5;

const spec: ControllerSpec = { hidden: [32, 16], inputs: ['com', 'velocity', 'phase', 'goal'], periods: [0.02, 0.05], goal: [[0.5], [-0.3]], scale: 0.8, seed: 3 };

/** Largest |a - b| relative to the largest |b| (and 1e-3, below which a feature is noise). */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0, m = 1e-3;
  for (let i = 0; i < b.length; i++) { e = Math.max(e, Math.abs(a[i] - b[i])); m = Math.max(m, Math.abs(b[i])); }
  return e / m;
}

async function check(inner: Simulator, dt: number, T: number) {
  const sim = await ControlledSim.create(inner, spec, { dt, steps: T });
  try {
    // copy 1 gets other weights
    const rec = sim.paramValues.slice();
    const v1 = sim.params.values(1);
    v1.set(initialWeights(sim.layout, 99), sim.inner.params.size);
    sim.params.pack(rec, 1, v1);
    sim.writeParams(rec);
    const steps = 5;
    const r = new Rollout(sim, steps, 'full');
    await r.forward();
    // after the forward, the feature buffer and actuation row hold step steps - 1
    const s = await readF32(sim.device, r.stateAt(steps - 1)!);
    const feat = await sim.readFeatures();
    const act = sim.inner.actuationTarget!()!;
    const ctrl = await readF32(sim.device, act.buffer);
    const F = sim.layout.features, N = sim.state.items, st = sim.state.stride, A = act.channels;
    const ref = controlledReference(sim, () => { throw new Error('unused'); });
    for (let b = 0; b < 2; b++) {
      const sb = s.subarray(b * N * st, (b + 1) * N * st);
      const fRef = stateFeaturesRef({ ...ref, com0: sim.com0.subarray(b * sim.dim, (b + 1) * sim.dim), goal: sim.goalOf(b) }, sb, steps - 1);
      const fGpu = feat.subarray(b * F, (b + 1) * F);
      expect(relErr(fGpu, fRef)).toBeLessThan(FORWARD_TOL);
      // the two goals, 0.5 and -0.3, span the goal feature's [-1, 1]
      expect(fGpu[sim.layout.goal]).toBeCloseTo(b === 0 ? 1 : -1, 6);
      const aRef = mlpRef(sim.layout, sim.params.values(b).subarray(sim.inner.params.size), fGpu);
      const row = Math.min(steps - 1, sim.horizon - 1);
      const aGpu = ctrl.subarray(act.offset + b * act.copyStride + row * A, act.offset + b * act.copyStride + (row + 1) * A);
      expect(relErr(aGpu, aRef)).toBeLessThan(FORWARD_TOL);
      expect(Math.max(...Array.from(aGpu, Math.abs))).toBeGreaterThan(1e-3);
    }
    r.destroy();
  } finally {
    sim.destroy();
  }
}

test('springs: features and MLP output of two copies with different weights match float64', async () => {
  const scene = chain2d({ steps: 20 });
  await check(await SpringSim.create(gpu, scene, { batch: 2 }), scene.dt, scene.steps);
});

test('MPM: features and MLP output of two copies with different weights match float64', async () => {
  const scene = tinyScene({ dim: 2, actuated: true, material: 'elastic' });
  await check(await MpmSim.create(gpu, scene, { batch: 2 }), scene.dt, scene.steps);
});

test('goalNorm: the listed goals span [-1, 1] per component; a component that does not vary is left as it is', () => {
  const n = goalNorm([[0.03, 2], [0.12, 2], [0.06, 2]], 2);
  expect(n.shift[0]).toBeCloseTo(0.075, 12);
  expect((0.03 - n.shift[0]) * n.scale[0]).toBeCloseTo(-1, 12);
  expect((0.12 - n.shift[0]) * n.scale[0]).toBeCloseTo(1, 12);
  expect([n.shift[1], n.scale[1]]).toEqual([0, 1]);
});
