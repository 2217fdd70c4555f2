// The controlled rollout's gradient (weights, x0, v0, materials, collider tracks) against central
// differences of the float64 spring reference composed with the float64 controller, over a
// checkpointed rollout of a 2D chain robot and of a tiny MPM jelly; and a controller adjoint with
// one term scaled by 1.05 must fail.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { gradcheck } from '../../src/core/gradcheck';
import { rng } from '../../src/core/finite-diff';
import { controlledMpmSubject, controlledSpringSubject } from '../../src/control/gradcheck-subject';
import type { ControllerSpec } from '../../src/control/controller';
import { chain2d } from '../helpers/spring-scenes';
import { tinyScene } from '../helpers/tiny-scenes';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

const spec: ControllerSpec = { hidden: [16, 8], inputs: ['com', 'velocity', 'phase', 'goal'], periods: [0.02], goal: [0.4], scale: 1, seed: 5 };

async function check(steps: number, wrongAdjoint = false) {
  const subject = await controlledSpringSubject(gpu, chain2d({ steps: 40 }), spec, { wrongAdjoint });
  try {
    const r = await gradcheck(subject, { steps, seed: 2 });
    console.log(`controlled chain, ${steps} steps${wrongAdjoint ? ' (wrong adjoint)' : ''}: max rel ${r.maxRelError.toExponential(2)}`,
      r.checks.map((c) => `${c.param}:${c.verdict}:${c.relError?.toExponential(1)}`).join(' '));
    return r;
  } finally {
    subject.destroy?.();
  }
}

test('controlled 2D chain, 30 steps: every block matches float64 central differences', async () => {
  const r = await check(30);
  expect(r.checks.map((c) => c.param)).toContain('controller');
  expect(r.checks.map((c) => c.param)).not.toContain('actuation');
  expect(r.ok).toBe(true);
});

test('a controller adjoint with its hidden-layer term scaled by 1.05 fails', async () => {
  const r = await check(30, true);
  expect(r.ok).toBe(false);
  expect(r.checks.filter((c) => c.param.startsWith('controller')).some((c) => !c.ok)).toBe(true);
});

test('controlled MPM (a tiny actuated jelly, 8 steps): every block passes, and the wrong controller adjoint fails', async () => {
  const scene = tinyScene({ dim: 2, material: 'elastic', actuated: true });
  const mpmSpec: ControllerSpec = { hidden: [8], inputs: ['com', 'velocity', 'phase'], periods: [0.01], scale: 1, seed: 3 };
  for (const wrongAdjoint of [false, true]) {
    const subject = await controlledMpmSubject(gpu, { ...scene, steps: 20 }, mpmSpec, { wrongAdjoint });
    try {
      const r = await gradcheck(subject, { steps: 8, seed: 4 });
      console.log(`controlled MPM${wrongAdjoint ? ' (wrong adjoint)' : ''}: max rel ${r.maxRelError.toExponential(2)}`, r.checks.map((c) => `${c.param}:${c.verdict}`).join(' '));
      expect(r.checks.map((c) => c.param)).toContain('controller');
      if (wrongAdjoint) expect(r.checks.filter((c) => c.param.startsWith('controller')).some((c) => !c.ok)).toBe(true);
      else expect(r.ok).toBe(true);
    } finally {
      subject.destroy?.();
    }
  }
}, 120_000);

test("the controlled subject's tangent (gradcheck's 'path'): the float64 derivative along the GPU's states, through the controller", async () => {
  const subject = await controlledSpringSubject(gpu, chain2d({ steps: 40 }), spec);
  try {
    const steps = 30, h = 1e-6, n = subject.state0.length, rand = rng(9);
    const weights = Float64Array.from({ length: n }, () => rand() - 0.5);
    const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => { let r = 0; for (let i = 0; i < a.length; i++) r += a[i] * b[i]; return r; };
    const controller = subject.blocks(steps).find((b) => b.name === 'controller')!;
    const dCtrl = subject.ctrl.map((_, i) => (controller.pick(i) ? rand() - 0.5 : 0));
    const tangent = dot(weights, await subject.tangent!(new Float64Array(n), dCtrl, steps, h));
    // over 30 steps the float32 states stay close to the float64 ones: the tangent along them is
    // the reference's central difference, which it could not be without the MLP's dependence on the state
    const L = async (sg: number) => dot(weights, await subject.referenceFinal(subject.state0, subject.ctrl.map((c, i) => c + sg * h * dCtrl[i]), steps));
    const fd = ((await L(1)) - (await L(-1))) / (2 * h);
    const { gCtrl } = await subject.gpuGradient(weights, steps);
    const analytic = dot(gCtrl, dCtrl);
    console.log(`controlled chain, 30 steps, a weights direction: tangent ${tangent.toExponential(6)} central difference ${fd.toExponential(6)} adjoint ${analytic.toExponential(6)}`);
    expect(Math.abs(tangent - fd)).toBeLessThan(1e-3 * Math.abs(fd));
    expect(Math.abs(analytic - tangent)).toBeLessThan(1e-2 * Math.abs(tangent));
  } finally {
    subject.destroy?.();
  }
});
