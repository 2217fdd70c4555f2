// Every GPU loss kind against its float64 reference (src/core/loss-reference.ts) on a small MPM
// scene (2D, two groups) and a small cloth (3D), two batch copies whose states differ: the value,
// the exact region metrics, and dL/dstate against central differences of the reference (a gradient
// 5% off must fail the same check). Same inputs, same bytes. Bad descs fail before any GPU work.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import { createLoss, type LossDesc } from '../../src/core/loss';
import { referenceLoss } from '../../src/core/loss-reference';
import { directionalFD } from '../../src/core/finite-diff';
import { mulberry32 } from '../../src/core/rng';
import { positionField, type Simulator } from '../../src/core/simulator';
import { SceneError } from '../../src/core/scene-error';
import { createSimulator } from '../../src/simulators';
import { Rollout } from '../../src/core/rollout';
import { validateScene } from '../../src/mpm/validate';
import { tinyScene } from '../helpers/tiny-scenes';
import { perturbed, refContext } from '../helpers/loss-fixtures';
import { clothPatch } from '../helpers/spring-scenes';

const B = 2;
/** The GPU value against the reference's: relative, with a floor far below every value tested. */
const VALUE_REL = 1e-5;
/** A gradient entry against central differences: relative to the largest entry checked. */
const GRAD_REL = 1e-3;

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

/** The descs tested on a scene: every kind, drawn around its initial positions. */
function descs(sim: Simulator, group: number): Record<string, LossDesc> {
  const { start, count } = sim.selection(group);
  const { stride } = sim.state, xo = positionField(sim.state).offset, d = sim.dim;
  const x = (i: number) => Array.from(sim.state0.subarray(i * stride + xo, i * stride + xo + d));
  const lo = x(start).map((_, a) => Math.min(...Array.from({ length: count }, (_, k) => x(start + k)[a])));
  const hi = x(start).map((_, a) => Math.max(...Array.from({ length: count }, (_, k) => x(start + k)[a])));
  const mid = lo.map((l, a) => (l + hi[a]) / 2);
  const r = mulberry32(3);
  const near = (i: number) => x(i).map((v) => v + 0.02 * (r() - 0.5));
  const listed = [count - 1, 0, Math.floor(count / 2)].map((k) => start + k);
  const all: Record<string, LossDesc> = {
    'com-target': { kind: 'com-target', group, target: mid.map((m, a) => m + 0.1 * (a + 1)) },
    'com-travel': { kind: 'com-travel', group, axis: 0, direction: 1 },
    'com-travel back': { kind: 'com-travel', group, axis: 1, direction: -1, origin: mid[1] - 0.05 },
    // a box through the middle of the body (as copies are shifted along x): part of its items inside, many near a face
    'region-fraction': { kind: 'region-fraction', group, target: { min: lo.map((l) => l - 0.05), max: mid.map((m, a) => (a === 0 ? m + 0.045 : a === d - 1 ? m : hi[a] + 0.05)) }, width: 0.02 },
    'match-positions': { kind: 'match-positions', group, target: Array.from({ length: count }, (_, k) => near(start + k)) },
    'match-positions items': { kind: 'match-positions', items: listed, target: listed.map(near) },
    'match-pairs': { kind: 'match-pairs', pairs: [[start, start + count - 1], [start + Math.floor(count / 2), start + 1]] },
  };
  all['weighted-sum'] = { kind: 'weighted-sum', terms: [
    { weight: 0.5, loss: all['com-target'] as never }, { weight: 2, loss: all['com-travel'] as never },
    { weight: 1.5, loss: all['region-fraction'] as never }, { weight: 3, loss: all['match-positions items'] as never },
    { weight: 0.7, loss: all['match-pairs'] as never },
  ] };
  return all;
}

/** Whether every sampled gradient entry matches central differences of the reference. */
function gradMatches(got: ArrayLike<number>, fds: { i: number; fd: number }[]): boolean {
  const scale = Math.max(...fds.map((e) => Math.abs(e.fd)));
  return fds.every(({ i, fd }) => Math.abs(got[i] - fd) <= GRAD_REL * scale);
}

const scenes = {
  'MPM 2D': () => { const s = tinyScene({ dim: 2, material: 'elastic', actuated: true }); s.groups[1].density = 3; return s; },
  'cloth 3D': () => clothPatch(),
};

for (const [sceneName, build] of Object.entries(scenes)) {
  describe(sceneName, () => {
    let sim: Simulator;
    let state: Float32Array;
    let buf: GPUBuffer;
    beforeAll(async () => {
      sim = await createSimulator(gpu, build(), { batch: B });
      state = perturbed(sim, 0.03);
      buf = sim.createState('s', state);
    });
    afterAll(() => { buf?.destroy(); sim?.destroy(); });

    test('every loss kind: values, exact region metrics and gradients match the float64 reference; same bytes twice', async () => {
      const group = sim.kind === 'mpm' ? 1 : 0;
      const ctx = refContext(sim);
      const s64 = Float64Array.from(state);
      const { items, stride } = sim.state, xo = positionField(sim.state).offset;
      for (const [name, desc] of Object.entries(descs(sim, group))) {
        const loss = await createLoss(sim, desc);
        const got = await loss.evaluate(buf);
        const g = await readF32(gpu.device, loss.grad);
        const want = referenceLoss(desc, ctx, s64);
        for (let b = 0; b < B; b++) {
          expect(Math.abs(got.values[b] - want.values[b]), `${name} copy ${b}: ${got.values[b]} vs ${want.values[b]}`)
            .toBeLessThanOrEqual(VALUE_REL * Math.max(Math.abs(want.values[b]), 1e-3));
        }
        if (desc.kind === 'region-fraction') {
          expect(got.counts).toEqual(want.counts);
          got.report!.forEach((f, b) => expect(f).toBeCloseTo(want.report![b], 6));
          // the box was drawn to hold some of the items, not all or none
          for (const c of got.counts!) expect(c).toBeGreaterThan(0);
          expect(Math.min(...got.report!)).toBeLessThan(1);
        }
        if (desc.kind === 'match-pairs') got.report!.forEach((d, b) => expect(d).toBeCloseTo(want.report![b], 5));
        if (desc.kind === 'weighted-sum') expect(got.terms).toHaveLength(5);
        // central differences of the reference's total (both copies) at random position entries of
        // the items the loss reads, and at a few other entries (where the gradient must be 0)
        const r = mulberry32(name.length);
        const loss64 = (s: Float64Array) => referenceLoss(desc, ctx, s).values.reduce((a, v) => a + v, 0);
        const hot = Array.from(want.grad).flatMap((v, i) => (v !== 0 ? [i] : []));
        const entries = Array.from({ length: 16 }, () => {
          return r() < 0.8 ? hot[Math.floor(r() * hot.length)] : Math.floor(r() * items * B) * stride + Math.floor(r() * stride);
        });
        const fds = entries.map((i) => {
          const dir = new Float64Array(s64.length);
          dir[i] = 1;
          return { i, fd: directionalFD(loss64, s64, dir, 1e-6) };
        });
        expect(Math.max(...fds.map((e) => Math.abs(e.fd))), name).toBeGreaterThan(0);
        expect(gradMatches(g, fds), `${name}: ${fds.map((e) => `${g[e.i]} vs ${e.fd}`).join(', ')}`).toBe(true);
        expect(gradMatches(g.map((v) => 1.05 * v), fds), `${name}: a gradient 5% off passes`).toBe(false);
        // nothing outside the position slots
        g.forEach((v, i) => { if (v !== 0) expect((i % stride) - xo).toBeGreaterThanOrEqual(0); });
        // same inputs, same bytes
        const again = await loss.evaluate(buf);
        expect(again.values).toEqual(got.values);
        expect(new Uint8Array((await readF32(gpu.device, loss.grad)).buffer)).toEqual(new Uint8Array(g.buffer));
        loss.destroy();
      }
    });

    test('com-travel of the initial state is 0 and a copy moved forward has a negative loss', async () => {
      const s0 = sim.createState('s0', sim.state0);
      const loss = await createLoss(sim, { kind: 'com-travel', axis: 0, direction: 1 });
      expect((await loss.evaluate(s0)).values.every((v) => Math.abs(v) < 1e-6)).toBe(true);
      const moved = await loss.evaluate(buf);
      moved.values.forEach((v, b) => expect(v).toBeCloseTo(-0.03 * (b + 1), 2));
      loss.destroy();
      s0.destroy();
    });
  });
}

describe('bad loss descs', () => {
  const cases: [string, unknown, RegExp][] = [
    ['unknown kind', { kind: 'com-velocity' }, /scene\.loss\.kind = "com-velocity" is not a known kind: allowed one of "com-target", .*"weighted-sum"/],
    ['axis out of range', { kind: 'com-travel', axis: 2, direction: 1 }, /scene\.loss\.axis = 2 is out of range: allowed integers in \[0, 1\]/],
    ['direction 0', { kind: 'com-travel', axis: 0, direction: 0 }, /scene\.loss\.direction = 0 .*allowed 1, -1/],
    ['a target on com-travel', { kind: 'com-travel', axis: 0, direction: 1, target: [1, 2] }, /scene\.loss\.target .*is not a known field/],
    ['zero width', { kind: 'region-fraction', target: { min: [0, 0], max: [1, 1] }, width: 0 }, /scene\.loss\.width = 0 is out of range/],
    ['an empty box', { kind: 'region-fraction', target: { min: [0, 0.5], max: [1, 0.5] }, width: 0.1 }, /scene\.loss\.target\.max\[1\] = 0\.5 is not above target\.min: allowed > 0\.5/],
    ['a box corner per axis', { kind: 'region-fraction', target: { min: [0, 0, 0], max: [1, 1] }, width: 0.1 }, /scene\.loss\.target\.min = \[0, 0, 0\] has the wrong length: allowed exactly 2 items/],
    ['a group that is not', { kind: 'com-target', group: 5, target: [0, 0] }, /scene\.loss\.group = 5 is not a group/],
    ['positions per item', { kind: 'match-positions', items: [0, 1], target: [[0, 0]] }, /scene\.loss\.target = .* has the wrong length: allowed exactly 2 positions/],
    ['an item twice', { kind: 'match-positions', items: [1, 1], target: [[0, 0], [0, 0]] }, /scene\.loss\.items\[1\] = 1 is listed twice/],
    ['an item that is not', { kind: 'match-positions', items: [0, 9999], target: [[0, 0], [0, 0]] }, /scene\.loss\.items\[1\] = 9999/],
    ['an item in two pairs', { kind: 'match-pairs', pairs: [[0, 1], [2, 1]] }, /scene\.loss\.pairs\[1\]\[1\] = 1 is listed twice: allowed each item in at most one pair/],
    ['a pair of three', { kind: 'match-pairs', pairs: [[0, 1, 2]] }, /scene\.loss\.pairs\[0\] = \[0, 1, 2\] has too many items: allowed at most 2/],
    ['a pair item that is not', { kind: 'match-pairs', pairs: [[0, 9999]] }, /scene\.loss\.pairs\[0\]\[1\] = 9999/],
    ['a nested sum', { kind: 'weighted-sum', terms: [{ weight: 1, loss: { kind: 'weighted-sum', terms: [] } }] }, /scene\.loss\.terms\[0\]\.loss\.kind = "weighted-sum" is not a known kind/],
    ['a bad term', { kind: 'weighted-sum', terms: [{ weight: 1, loss: { kind: 'com-travel', axis: 0, direction: 1, group: 7 } }] }, /scene\.loss\.terms\[0\]\.loss\.group = 7 is not a group/],
    ['a non-finite weight', { kind: 'weighted-sum', terms: [{ weight: NaN, loss: { kind: 'com-travel', axis: 0, direction: 1 } }] }, /scene\.loss\.terms\[0\]\.weight = NaN is not finite/],
  ];
  let sim: Simulator;
  beforeAll(async () => { sim = await createSimulator(gpu, tinyScene({ dim: 2, material: 'elastic', actuated: true }), { batch: 1 }); });
  afterAll(() => sim?.destroy());
  for (const [name, desc, message] of cases) {
    test(`${name}: createLoss and validateScene both refuse it, naming the field`, async () => {
      await expect(createLoss(sim, desc as LossDesc)).rejects.toThrow(SceneError);
      await expect(createLoss(sim, desc as LossDesc)).rejects.toThrow(message);
      const scene = { ...tinyScene({ dim: 2, material: 'elastoplastic', actuated: true }), loss: desc as LossDesc };
      expect(() => validateScene(scene)).toThrow(message);
    });
  }
});

test('through a rollout: d(weighted-sum loss)/d(initial velocity) agrees with central differences of GPU forwards', async () => {
  const sim = await createSimulator(gpu, tinyScene({ dim: 2, material: 'elastic', actuated: true }), { batch: 1 });
  const { items, stride } = sim.state, xo = positionField(sim.state).offset;
  const vo = sim.state.fields.find((f) => f.name === 'v')!.offset;
  const { start, count } = sim.selection(1);
  const c0 = [0, 1].map((d) => Array.from({ length: count }, (_, k) => sim.state0[(start + k) * stride + xo + d]).reduce((a, x) => a + x, 0) / count);
  const desc: LossDesc = { kind: 'weighted-sum', terms: [
    { weight: 1, loss: { kind: 'com-travel', group: 1, axis: 0, direction: 1 } },
    { weight: 0.5, loss: { kind: 'region-fraction', group: 1, target: { min: [c0[0], 0], max: [1, c0[1]] }, width: 0.01 } },
    { weight: 20, loss: { kind: 'match-positions', items: [start, start + 3], target: [[0.45, 0.3], [0.5, 0.35]] } },
  ] };
  const loss = await createLoss(sim, desc);
  const T = 12;
  const run = async (s0: Float32Array, backward: boolean) => {
    const r = new Rollout(sim, T, 'full');
    await r.forward(s0);
    const L = (await loss.evaluate(r.final.buf)).values[0];
    const g = backward ? await readF32(gpu.device, await r.backward(loss.grad)) : undefined;
    r.destroy();
    return { L, g };
  };
  const { g } = await run(sim.state0, true);
  const dir = (i: number, d: number) => Math.sin(1.3 * i + d);
  let an = 0;
  for (let i = 0; i < items; i++) for (let d = 0; d < 2; d++) an += g![i * stride + vo + d] * dir(i, d);
  const eps = 1e-2;
  const shifted = (s: number) => {
    const s0 = sim.state0.slice();
    for (let i = 0; i < items; i++) for (let d = 0; d < 2; d++) s0[i * stride + vo + d] += s * eps * dir(i, d);
    return s0;
  };
  const fd = ((await run(shifted(1), false)).L - (await run(shifted(-1), false)).L) / (2 * eps);
  expect(Math.sign(an)).toBe(Math.sign(fd));
  expect(Math.abs(an - fd) / Math.abs(fd), `analytic ${an}, numeric ${fd}`).toBeLessThan(0.05);
  loss.destroy();
  sim.destroy();
});
