// gradcheck's 'path' oracle for springs and shells (tangentBySteps over the float64 step): along the
// reference's own trajectory it is the derivative its central differences give, for a state and a
// control direction, carried in one piece or in two (the GPU's states arrive in chunks). CPU only.
import { expect, test } from 'vitest';
import { tangentBySteps } from '../../src/core/gradcheck';
import { rng } from '../../src/core/finite-diff';
import { compileSpringScene } from '../../src/springs/model';
import { rolloutRef, stepRef } from '../../src/springs/reference';
import { clothPatch, turningCollider } from '../helpers/spring-scenes';

test('tangentBySteps along the reference\'s own trajectory equals its central difference (plastic cloth, turning box)', () => {
  const scene = turningCollider(clothPatch({ plastic: true }));
  const model = compileSpringScene(scene);
  const state0 = Float64Array.from(model.state0), ctrl = Float64Array.from(model.ctrl0);
  const steps = 12, n = state0.length, rand = rng(4);
  const step = (s: Float64Array, c: Float64Array, t: number) => stepRef(model, s, c, t);
  const states = new Float64Array(steps * n);
  let s: Float64Array = Float64Array.from(state0);
  for (let t = 0; t < steps; t++) { states.set(s, t * n); s = step(s, ctrl, t); }
  const w = state0.map(() => rand() - 0.5);
  const dot = (a: ArrayLike<number>) => { let r = 0; for (let i = 0; i < n; i++) r += w[i] * a[i]; return r; };
  const dState = state0.map(() => rand() - 0.5), dCtrl = ctrl.map((c) => (rand() - 0.5) * (Math.abs(c) + 1e-3));
  for (const [ds, dc] of [[dState, new Float64Array(ctrl.length)], [new Float64Array(n), dCtrl]] as const) {
    const h = 1e-6;
    const tangent = dot(tangentBySteps(step, states, 0, ds, ctrl, dc, h));
    const half = tangentBySteps(step, states.subarray(0, 5 * n), 0, ds, ctrl, dc, h);
    expect(dot(tangentBySteps(step, states.subarray(5 * n), 5, half, ctrl, dc, h))).toBeCloseTo(tangent, 12);
    const L = (sg: number) => dot(rolloutRef(model, state0.map((x, i) => x + sg * h * ds[i]), ctrl.map((c, i) => c + sg * h * dc[i]), steps));
    const fd = (L(1) - L(-1)) / (2 * h);
    expect(Math.abs(tangent - fd)).toBeLessThan(1e-5 * Math.abs(fd));
  }
});
