// The reference's working memory: a RefStepper reused across rollouts and controls gives the floats
// of a fresh one, its grid holds only the nodes particles touch, and the worker pool returns the
// floats of this process.
import { describe, expect, it } from 'vitest';
import { packMpm } from '../../../src/mpm/layout';
import { RefStepper, ctrlGroupIndex, refModel, refState0, rng, rollout, withCtrl } from '../../../src/mpm/reference';
import { tangentAlong } from '../../../src/mpm/reference/stepper';
import { RefPool } from '../../../src/mpm/reference/pool';
import { tinyScene } from '../../helpers/tiny-scenes';

const same = (a: Float64Array, b: Float64Array) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

describe.each([2, 3] as const)('RefStepper %dD', (dim) => {
  const packed = packMpm(tinyScene({ dim, material: 'elastoplastic', actuated: true, collider: true, seed: 4 }), 1);
  const model = refModel(packed), s0 = refState0(packed), steps = 12;
  const stiffer = () => { const c = model.ctrl.slice(); c[ctrlGroupIndex(model, 0, 'E')] *= 3; return withCtrl(model, c); };

  it('reused across rollouts and controls, gives the floats of a fresh stepper and of rollout()', () => {
    const reused = new RefStepper(model);
    const first = Float64Array.from(reused.rollout(s0, steps));
    expect(same(first, rollout(model, s0, steps)[steps])).toBe(true);
    reused.setModel(stiffer());
    const other = Float64Array.from(reused.rollout(s0, steps));
    expect(same(other, new RefStepper(stiffer()).rollout(s0, steps))).toBe(true);
    expect(same(other, first)).toBe(false); // the control took effect
    reused.setModel(model);
    expect(same(Float64Array.from(reused.rollout(s0, steps)), first)).toBe(true);
    expect(Array.from(s0)).toEqual(Array.from(refState0(packed))); // state0 is not written
  });

  it('clears, updates and reads only the nodes the particles touch', () => {
    const s = new RefStepper(model);
    s.p2g(s0, 0);
    const touched = new Set(Array.from(s.active.subarray(0, s.nActive)));
    expect(touched.size).toBe(s.nActive); // each listed once
    expect(s.nActive).toBeLessThan(model.nodes / 4); // a small block on the grid
    expect(s.nActive).toBeLessThanOrEqual(model.n * 3 ** dim);
    // the whole mass lies on these nodes
    let mass = 0;
    for (const i of touched) mass += s.m[i];
    const total = Array.from({ length: model.n }, (_, p) => model.particleVol[p] * model.ctrl[ctrlGroupIndex(model, model.particleGroup[p], 'density')]).reduce((a, b) => a + b);
    expect(Math.abs(mass - total) / total).toBeLessThan(1e-14);
    expect(() => s.setModel(refModel(packMpm(tinyScene({ dim, material: 'fluid', hi: 0.6 }), 1)))).toThrow(/particles/);
  });
});

describe.each([2, 3] as const)('tangentAlong %dD', (dim) => {
  // gradcheck's 'path' oracle: along the reference's own float64 trajectory it must be the
  // derivative the reference's central differences give, for a control and a state direction
  it('along the reference\'s own trajectory, equals the central difference of its rollout', () => {
    const packed = packMpm(tinyScene({ dim, material: 'elastoplastic', actuated: true, collider: true, seed: 5 }), 1);
    const model = refModel(packed), s0 = refState0(packed), steps = 10, n = s0.length;
    const traj = rollout(model, s0, steps);
    const states = new Float64Array(steps * n);
    for (let t = 0; t < steps; t++) states.set(traj[t], t * n);
    const rand = rng(9), w = s0.map(() => rand() - 0.5);
    const dCtrl = new Float64Array(model.ctrl.length), dState = s0.map(() => 0);
    dCtrl[ctrlGroupIndex(model, 0, 'E')] = model.ctrl[ctrlGroupIndex(model, 0, 'E')];
    for (let i = 0; i < n; i++) dState[i] = 1e-3 * (rand() - 0.5);
    const dot = (a: ArrayLike<number>) => { let r = 0; for (let i = 0; i < n; i++) r += w[i] * a[i]; return r; };
    const stepper = new RefStepper(model);
    for (const [ds, dc] of [[new Float64Array(n), dCtrl], [dState, new Float64Array(dCtrl.length)]] as const) {
      const tangent = dot(tangentAlong(stepper, model, states, 0, ds, model.ctrl, dc, 1e-6));
      // the same carried in two pieces (the GPU's states arrive in chunks)
      const half = tangentAlong(stepper, model, states.subarray(0, 4 * n), 0, ds, model.ctrl, dc, 1e-6);
      expect(dot(tangentAlong(stepper, model, states.subarray(4 * n), 4, half, model.ctrl, dc, 1e-6))).toBeCloseTo(tangent, 12);
      const h = 1e-6, L = (sg: number) => {
        stepper.setModel(withCtrl(model, model.ctrl.map((c, i) => c + sg * h * dc[i])));
        return dot(stepper.rollout(s0.map((x, i) => x + sg * h * ds[i]), steps));
      };
      const fd = (L(1) - L(-1)) / (2 * h);
      expect(Math.abs(tangent - fd)).toBeLessThan(1e-6 * Math.abs(fd));
    }
  });
});

describe('RefPool', () => {
  it('returns the floats of this process, for tasks in flight at once, and reports a worker\'s error', async () => {
    const packed = packMpm(tinyScene({ dim: 2, material: 'elastic', collider: true, seed: 2 }), 1);
    const model = refModel(packed), s0 = refState0(packed);
    const pool = new RefPool(model, 2);
    try {
      const ctrls = [1, 2, 3].map((f) => { const c = model.ctrl.slice(); c[ctrlGroupIndex(model, 0, 'E')] *= f; return c; });
      const finals = await Promise.all(ctrls.map((c) => pool.finalState(s0, c, 8)));
      const local = new RefStepper(model);
      ctrls.forEach((c, k) => {
        local.setModel(withCtrl(model, c));
        expect(same(finals[k], local.rollout(s0, 8)), `task ${k}`).toBe(true);
      });
      const away = s0.slice();
      away[0] = 5; // particle 0 far outside the grid
      await expect(pool.finalState(away, model.ctrl, 1)).rejects.toThrow(/leaves the grid/);
    } finally {
      pool.close();
    }
    await expect(pool.finalState(s0, model.ctrl, 1)).rejects.toThrow(/closed/);
  });
});
