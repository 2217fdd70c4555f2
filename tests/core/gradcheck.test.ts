// Whole-rollout gradients (GPU adjoint, float32) against central finite differences of the float64
// reference, for every material in 2D and 3D, with actuation and a moving collider; and the check
// itself: given a wrong adjoint, it must fail, on a CPU subject and on the MPM simulator.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { gradcheck, type GradcheckProgress, type GradcheckSubject } from '../../src/core/gradcheck';
import { gradcheckScene, mpmGradcheckSubject } from '../../src/mpm/gradcheck-subject';
import { particleStride, TRACK_SLOT, TRACK_STRIDE } from '../../src/mpm/layout';
import { ctrlGroupIndex, refModel } from '../../src/mpm/reference/ref-model';
import { CONTACT_TIE } from '../../src/mpm/reference/contact';
import { packMpm } from '../../src/mpm/layout';
import { rng } from '../../src/core/finite-diff';
import { tinyScene, type TinyOptions } from '../helpers/tiny-scenes';
import { memoSubject } from '../helpers/memo-subject';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

/**
 * A subject with a closed-form "rollout" (no GPU): final_i = c0 s_i + 0.1 sin(s_i) + c1 s_{i+1}^2
 * (+ c2 where i % 3 == 0), so its exact gradient can be handed in right or wrong. c0 is checked
 * relative to its value, c1 and c2 as one block.
 */
function cpuSubject(wrong?: (g: { gState: Float32Array; gCtrl: Float32Array }) => void): GradcheckSubject {
  const N = 12, rand = rng(5);
  const state0 = Float64Array.from({ length: N }, () => rand() - 0.5);
  const ctrl = Float64Array.of(1.3, 0.7, 0.2);
  const final = (s: Float64Array, c: Float64Array) =>
    s.map((x, i) => c[0] * x + 0.1 * Math.sin(x) + c[1] * s[(i + 1) % N] ** 2 + (i % 3 === 0 ? c[2] : 0));
  return {
    name: 'closed-form', state0, ctrl, tolerance: 1e-2,
    blocks: () => [
      { name: 's', space: 'state', pick: () => true, eps: 1e-6 },
      { name: 'c0', space: 'ctrl', pick: (i) => i === 0, relative: true, eps: 1e-6 },
      { name: 'c12', space: 'ctrl', pick: (i) => i > 0, eps: 1e-6 },
    ],
    async gpuGradient(w) {
      const s = state0, c = ctrl;
      const gState = Float32Array.from(s, (x, j) => w[j] * (c[0] + 0.1 * Math.cos(x)) + w[(j + N - 1) % N] * c[1] * 2 * x);
      const gCtrl = Float32Array.of(
        s.reduce((a, x, i) => a + w[i] * x, 0),
        s.reduce((a, _, i) => a + w[i] * s[(i + 1) % N] ** 2, 0),
        s.reduce((a, _, i) => a + (i % 3 === 0 ? w[i] : 0), 0));
      const g = { gState, gCtrl };
      wrong?.(g);
      return g;
    },
    // asynchronous, as a subject with worker processes is
    referenceFinal: async (s, c) => final(s, c),
  };
}

describe('gradcheck core on a closed-form subject', () => {
  test('the right gradient passes, with progress for every check', async () => {
    const seen: GradcheckProgress[] = [];
    const rep = await gradcheck(cpuSubject(), { steps: 1, onProgress: (p) => seen.push(p) });
    expect(rep.checks.map((c) => [c.param, c.verdict])).toEqual([
      ['s', 'ok'], ['s@gradient', 'ok'], ['c0', 'ok'], ['c12', 'ok'], ['c12@gradient', 'ok']]);
    expect(rep.ok).toBe(true);
    expect(rep.maxRelError).toBeLessThan(1e-6);
    expect(seen[0].label).toBe('GPU adjoint');
    expect(seen.at(-1)).toMatchObject({ done: 5, total: 5 });
  });

  test.each([
    ['c0 scaled by 1.05 (a relative block)', 'c0', (g: { gCtrl: Float32Array }) => { g.gCtrl[0] *= 1.05; }],
    ['c2 zeroed', 'c12', (g: { gCtrl: Float32Array }) => { g.gCtrl[2] = 0; }],
    ['one state entry with its sign flipped', 's', (g: { gState: Float32Array }) => { g.gState[4] *= -1; }],
  ] as const)('a wrong gradient fails: %s', async (_, block, wrong) => {
    const rep = await gradcheck(cpuSubject(wrong as (g: { gState: Float32Array; gCtrl: Float32Array }) => void), { steps: 1 });
    expect(rep.ok).toBe(false);
    expect(new Set(rep.checks.filter((c) => !c.ok).map((c) => c.block))).toEqual(new Set([block]));
  });
  test('an error within the analytic value\'s measured float32 spread is f32; the same error without that spread fails', async () => {
    // c0's analytic derivative 3% off; jittered reruns scatter it by +-5% (a derivative as noisy as
    // float32 makes it) or not at all (a wrong adjoint is wrong the same way every time)
    const off = (g: { gCtrl: Float32Array }) => { g.gCtrl[0] *= 1.03; };
    const noisy = (scatter: number): GradcheckSubject => {
      const base = cpuSubject(off as (g: { gState: Float32Array; gCtrl: Float32Array }) => void);
      return { ...base, async gpuGradient(w, st, jitter) {
        const g = await base.gpuGradient(w, st);
        if (jitter !== undefined) g.gCtrl[0] *= 1 + scatter * (jitter % 2 === 0 ? 1 : -1);
        return g;
      } };
    };
    const scattered = await gradcheck(noisy(0.05), { steps: 1 });
    const c0 = scattered.checks.find((c) => c.param === 'c0')!;
    expect(c0.verdict).toBe('f32');
    expect(c0.spread).toBeGreaterThan(0.05 * Math.abs(c0.analytic));
    expect(scattered.ok).toBe(true);
    const steady = await gradcheck(noisy(0), { steps: 1 });
    expect(steady.checks.find((c) => c.param === 'c0')).toMatchObject({ verdict: 'FAIL', spread: 0 });
    expect(steady.ok).toBe(false);
  });
});

const cases: [string, TinyOptions, number][] = [
  ['2D elastic, actuated, collider', { dim: 2, material: 'elastic', actuated: true, collider: true }, 1],
  ['2D fluid', { dim: 2, material: 'fluid' }, 2],
  ['2D elastoplastic, actuated', { dim: 2, material: 'elastoplastic', actuated: true }, 3],
  ['3D elastic, collider', { dim: 3, material: 'elastic', collider: true }, 4],
  ['3D fluid', { dim: 3, material: 'fluid' }, 5],
  ['3D elastoplastic, actuated', { dim: 3, material: 'elastoplastic', actuated: true }, 6],
];

for (const [name, opts, seed] of cases) {
  test(`gradcheck ${name}`, async () => {
    const rep = await gradcheckScene(gpu, tinyScene({ ...opts, seed }), { seed, steps: 50 });
    for (const c of rep.checks) console.log(`${name} ${c.param}: ${c.verdict} ${c.analytic.toExponential(5)} vs ${c.numeric.toExponential(5)} rel ${c.relError.toExponential(2)} |g| ${c.gradNorm.toExponential(2)} noise ${(c.fdNoise + c.floor).toExponential(1)}`);
    expect(rep.checks.filter((c) => !c.ok)).toEqual([]);
    // every block is resolved somewhere: none is only noise
    for (const b of new Set(rep.checks.map((c) => c.block))) {
      if (/^groups\[\d\]\.(E|nu)$/.test(b) && opts.material === 'fluid') continue;
      expect(rep.checks.some((c) => c.block === b && c.verdict !== 'noise'), `${name} ${b} resolved`).toBe(true);
    }
  });
}

test('gradcheck reports a sharp collider edge as a kink instead of failing', async () => {
  // A box with no rounding sinking into the body: its position changes which nodes it covers, in
  // jumps; along such a direction finite differences do not converge, and the analytic value need
  // only lie among them (kinkSpan).
  const scene = tinyScene({ dim: 2, material: 'elastic', collider: true, seed: 9 });
  const c = scene.colliders[0];
  c.radius = 0;
  delete c.orientation; // axis-aligned and not turning, so that its bottom face can lie on a row of nodes
  delete c.angularVelocity;
  // resting with its bottom face a hair below a row of grid nodes inside the body, at the depth
  // where a collider starts to cover a node (CONTACT_TIE): any downward perturbation of its
  // position pulls that whole row inside
  const dx = scene.grid.dx;
  c.position = [[0.4, 15 * dx + c.halfExtents![1] - CONTACT_TIE * dx]];
  c.velocity = [[0.05, -0.2]];
  const rep = await gradcheckScene(gpu, scene, { seed: 9, steps: 20 });
  for (const k of rep.checks) console.log(`sharp collider ${k.param}: ${k.verdict} ${k.analytic.toExponential(4)} vs ${k.numeric.toExponential(4)} (step/4 ${k.numericFiner?.toExponential(4)}) noise ${k.fdNoise.toExponential(1)}`);
  expect(rep.ok).toBe(true);
  const pos = rep.checks.find((k) => k.param === 'colliders[0].position')!;
  const vel = rep.checks.find((k) => k.param === 'colliders[0].velocity')!;
  expect(vel.verdict === 'ok' && vel.relError < 1e-2).toBe(true); // the velocity track always carries a gradient
  expect(pos.verdict).toBe('kink');
  expect(Math.abs(pos.numeric)).toBeGreaterThan(pos.fdNoise); // a kink stands above the noise
  expect(rep.maxRelError).toBeLessThan(1e-2);
});

describe('gradcheck fails a wrong MPM adjoint', () => {
  test('a sphere\'s orientation has no effect: its central differences are float64 noise, no kink, and a non-zero adjoint fails', async () => {
    // Turning a sphere changes nothing but rounding, so the loss's derivative along its orientation
    // track is zero and the differences at two steps are noise that disagree: a check that took
    // that for a kink would pass any adjoint.
    const scene = tinyScene({ dim: 2, material: 'elastic', collider: true, seed: 12 });
    const c = scene.colliders[0];
    c.shape = 'sphere';
    delete c.halfExtents;
    c.radius = 0.06;
    const subject = memoSubject(await mpmGradcheckSubject(gpu, scene));
    const lay = refModel(packMpm(scene, 1)).ctrlLayout, steps = 40;
    const orient = (i: number) => i >= lay.colOff && i < lay.colOff + steps * TRACK_STRIDE && (i - lay.colOff) % TRACK_STRIDE === TRACK_SLOT.orientation;
    try {
      const honest = await gradcheck(subject, { seed: 12, steps });
      const show = (tag: string, r: typeof honest) => r.checks.filter((k) => k.block.startsWith('colliders')).forEach((k) =>
        console.log(`sphere ${tag} ${k.param}: ${k.verdict} ${k.analytic.toExponential(4)} vs ${k.numeric.toExponential(4)} (step/4 ${k.numericFiner?.toExponential(4)}) fd noise ${k.fdNoise.toExponential(1)} floor ${k.floor.toExponential(1)}`));
      show('honest', honest);
      expect(honest.ok).toBe(true);
      const orientation = honest.checks.filter((k) => k.block === 'colliders[0].orientation');
      expect(orientation.every((k) => k.verdict === 'noise')).toBe(true);
      // the velocity track has an effect, so the scene is no trivial one
      expect(honest.checks.find((k) => k.param === 'colliders[0].velocity@gradient')!.verdict).toBe('ok');
      // a wrong adjoint: every orientation entry given 1% of the velocity track's gradient norm
      const vel = honest.checks.find((k) => k.param === 'colliders[0].velocity@gradient')!.gradNorm;
      const wrong = await gradcheck({ ...subject, gpuGradient: async (w, st) => {
        const g = await subject.gpuGradient(w, st);
        g.gCtrl.forEach((_, i) => { if (orient(i)) g.gCtrl[i] = 1e-2 * vel; });
        return g;
      } }, { seed: 12, steps });
      show('wrong', wrong);
      const bad = wrong.checks.filter((k) => !k.ok);
      expect(bad.length).toBeGreaterThan(0);
      expect(bad.every((k) => k.block === 'colliders[0].orientation' && k.smooth)).toBe(true);
    } finally {
      subject.destroy?.();
    }
  });

  // One subject (scene, GPU buffers, reference workers), its adjoint handed to the check right,
  // then wrong in one block at a time: only that block may fail. The reruns reuse the honest run's
  // rollouts and adjoints (memoSubject): only the check is under test there.
  for (const dim of [2, 3] as const) {
    test(`${dim}D elastic with a turning collider`, async () => {
      const scene = tinyScene({ dim, material: 'elastic', collider: true, actuated: dim === 2, seed: 11 });
      const subject = memoSubject(await mpmGradcheckSubject(gpu, scene));
      const model = refModel(packMpm(scene, 1));
      const lay = model.ctrlLayout, ps = particleStride(dim), steps = 40;
      type Grad = { gState: Float32Array; gCtrl: Float32Array };
      const run = (wrong?: (g: Grad) => void) => gradcheck({
        ...subject, gpuGradient: async (w, s) => { const g = await subject.gpuGradient(w, s); wrong?.(g); return g; },
      }, { seed: 11, steps });
      const failing = (rep: Awaited<ReturnType<typeof run>>) => [...new Set(rep.checks.filter((c) => !c.ok).map((c) => c.block))];
      try {
        const honest = await run();
        for (const c of honest.checks) console.log(`${dim}D honest ${c.param}: ${c.verdict} ${c.analytic.toExponential(4)} vs ${c.numeric.toExponential(4)} noise ${(c.fdNoise + c.floor).toExponential(1)}`);
        expect(failing(honest)).toEqual([]);
        // the orientation gradient perturbed: 20% of its norm added along a random direction, the
        // same in every call (a wrong adjoint is wrong the same way when rerun for its spread)
        const orient = (i: number) => i >= lay.colOff && (i - lay.colOff) % TRACK_STRIDE >= TRACK_SLOT.orientation
          && (i - lay.colOff) % TRACK_STRIDE < TRACK_SLOT.orientation + (dim === 2 ? 1 : 4) && i < lay.colOff + steps * TRACK_STRIDE;
        const perturbOrientation = (g: Grad) => {
          const idx = Array.from(g.gCtrl.keys()).filter(orient);
          const rand = rng(3), e = idx.map(() => rand() - 0.5);
          const scale = 0.2 * Math.hypot(...idx.map((i) => g.gCtrl[i])) / Math.hypot(...e);
          idx.forEach((i, k) => { g.gCtrl[i] += scale * e[k]; });
        };
        expect(failing(await run(perturbOrientation))).toEqual(['colliders[0].orientation']);
        // F0's gradient scaled by 0.95
        const F0 = (i: number) => i % ps >= 2 * dim + dim * dim;
        expect(failing(await run((g) => g.gState.forEach((x, i) => { if (F0(i)) g.gState[i] = 0.95 * x; })))).toEqual(['F0']);
        // E's gradient zeroed
        expect(failing(await run((g) => { g.gCtrl[ctrlGroupIndex(model, 0, 'E')] = 0; }))).toEqual(['groups[0].E']);
        // F0's gradient transposed per particle, and v0's zeroed for a tenth of the particles: along
        // the gradient both are second order, so the random direction must catch them
        const n = model.n, F = (p: number, r: number, c: number) => p * ps + 2 * dim + dim * dim + r * dim + c;
        const transposeF = (g: Grad) => {
          for (let p = 0; p < n; p++) for (let r = 0; r < dim; r++) for (let c = r + 1; c < dim; c++) {
            const x = g.gState[F(p, r, c)];
            g.gState[F(p, r, c)] = g.gState[F(p, c, r)];
            g.gState[F(p, c, r)] = x;
          }
        };
        expect(failing(await run(transposeF))).toEqual(['F0']);
        const zeroV = (g: Grad) => { for (let i = 0; i < Math.ceil(n / 10) * ps; i++) if (i % ps >= dim && i % ps < 2 * dim) g.gState[i] = 0; };
        expect(failing(await run(zeroV))).toEqual(['v0']);
      } finally {
        subject.destroy?.();
      }
    });
  }
});
