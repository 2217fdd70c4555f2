// The fused step adjoint of small systems (adjoint.fused.wgsl) against the split one
// (adjoint.split.wgsl + the Reducer): the same bytes, since both run the same per-vertex code and
// sum each parameter term over the vertices in the same pairwise order; batch copies equal their
// own single runs; against float64 central differences, and failing them when wrong.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import { Rollout } from '../../src/core/rollout';
import { gradcheck } from '../../src/core/gradcheck';
import { SpringSim, type AdjointPath, type TermSums } from '../../src/springs/simulator';
import { springGradcheckSubject } from '../../src/springs/gradcheck-subject';
import { buildScene } from '../../scenes/index';
import { chain2d, clothPatch } from '../helpers/spring-scenes';
import type { SpringScene } from '../../src/springs/scene';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** dL/dstate0 and dL/dctrl of a checkpointed T-step rollout with fixed final-state weights. */
async function gradients(scene: SpringScene, path: AdjointPath, T: number, batch = 1, termSums: TermSums = 'auto') {
  const sim = await SpringSim.create(gpu, scene, { adjoint: path, batch, termSums });
  const w = new Float32Array(sim.stateBytes / 4);
  for (let k = 0; k < w.length; k++) w[k] = Math.sin(0.37 * k + 1);
  const r = new Rollout(sim, T, 'auto');
  await r.forward();
  const gFinal = sim.createState('w', w);
  const g0 = await readF32(gpu.device, await r.backward(gFinal));
  const gc = await readF32(gpu.device, sim.paramGrad);
  const out = { path: sim.adjointPath, g0, gc, P: sim.params.size, items: sim.state.items * sim.state.stride };
  gFinal.destroy();
  r.destroy();
  sim.destroy();
  return out;
}

const robot = () => buildScene('spring-robot-2d') as SpringScene;
const cases: [string, () => SpringScene, number][] = [
  ['2D chain robot (ground, a collider, two materials, actuation)', () => chain2d(), 40],
  ['spring-robot-2d (22 masses)', robot, 60],
  ['3D cloth with self-contact', () => ({ ...clothPatch({ selfContact: true }), name: 'cloth-sc' }), 20],
];

for (const [name, make, T] of cases) {
  test(`${name}: the fused adjoint gives the split adjoint's bytes`, async () => {
    const fused = await gradients(make(), 'fused', T);
    const split = await gradients(make(), 'split', T);
    expect([fused.path, split.path]).toEqual(['fused', 'split']);
    expect(fused.gc.some((x) => x !== 0)).toBe(true);
    expect(bytes(fused.g0).equals(bytes(split.g0))).toBe(true);
    expect(bytes(fused.gc).equals(bytes(split.gc))).toBe(true);
  });
}

test('the split adjoint\'s two ways of summing the terms (a lane or a workgroup per term) give the fused adjoint\'s bytes', async () => {
  const [make, T] = [() => chain2d(), 30] as const;
  const fused = await gradients(make(), 'fused', T);
  for (const way of ['lane', 'grouped'] as const) {
    const split = await gradients(make(), 'split', T, 1, way);
    expect(bytes(fused.gc).equals(bytes(split.gc))).toBe(true);
    expect(bytes(fused.g0).equals(bytes(split.g0))).toBe(true);
  }
  // a batch of 3: the grouped sums' workgroups take copy-major (copy, term) pairs as the lanes do
  const lane = await gradients(make(), 'split', T, 3, 'lane');
  const grouped = await gradients(make(), 'split', T, 3, 'grouped');
  expect(lane.gc.some((x) => x !== 0)).toBe(true);
  expect(bytes(lane.gc).equals(bytes(grouped.gc))).toBe(true);
  await expect(SpringSim.create(gpu, make(), { termSums: 'tree' as TermSums })).rejects.toThrow("termSums = tree: allowed 'auto', 'lane' or 'grouped'");
});

test('a batch of 3 copies: the fused adjoint gives the split adjoint\'s bytes', async () => {
  // each copy against its own single run: tape.test.ts (auto takes the fused path there)
  const scene = chain2d();
  const T = 30;
  const many = await gradients(scene, 'fused', T, 3);
  const one = await gradients(scene, 'split', T, 3);
  expect(bytes(many.g0).equals(bytes(one.g0))).toBe(true);
  expect(bytes(many.gc).equals(bytes(one.gc))).toBe(true);
});

test('auto picks fused where the system fits one workgroup and split where it does not; fused refuses a big or plastic scene by name', async () => {
  const small = await SpringSim.create(gpu, chain2d());
  expect(small.adjointPath).toBe('fused');
  small.destroy();
  const plastic = clothPatch({ plastic: true });
  const p = await SpringSim.create(gpu, plastic);
  expect(p.adjointPath).toBe('split');
  p.destroy();
  await expect(SpringSim.create(gpu, plastic, { adjoint: 'fused' })).rejects.toThrow(/adjoint = 'fused'.*plastic/);
  const big = clothPatch({ nx: 8, ny: 8 });
  await expect(SpringSim.create(gpu, big, { adjoint: 'fused' })).rejects.toThrow(/81 vertices \(allowed up to 64\)/);
  const b = await SpringSim.create(gpu, big);
  expect(b.adjointPath).toBe('split');
  b.destroy();
  await expect(SpringSim.create(gpu, chain2d(), { adjoint: 'fast' as AdjointPath })).rejects.toThrow(/adjoint = fast: allowed 'auto', 'split' or 'fused'/);
});

test('the fused adjoint matches float64 central differences, and fails them with a wrong adjoint', async () => {
  for (const wrong of [false, true]) {
    const subject = await springGradcheckSubject(gpu, chain2d(), { adjoint: 'fused', wrongAdjoint: wrong });
    const r = await gradcheck(subject, { steps: 12, seed: 3 });
    subject.destroy?.();
    if (r.ok === wrong) console.log('fused', wrong, r.checks.map((c) => `${c.param}:${c.verdict}:${c.relError?.toExponential(1)}`).join(' '));
    expect(r.ok).toBe(!wrong);
  }
});
