import { describe, expect, it } from 'vitest';
import type { MpmScene } from '../../src/mpm/scene';
import { packMpm } from '../../src/mpm/layout';
import {
  ctrlGroupIndex, directionalFD, randomDirection, refModel, refState0, relError, rng, rollout, withCtrl,
} from '../../src/mpm/reference';

describe('directionalFD', () => {
  // f(x) = sum_i sin(x_i) x_{i+1}^2, cyclic; df/dx_i = cos(x_i) x_{i+1}^2 + 2 x_i sin(x_{i-1})
  const n = 6;
  const f = (x: Float64Array) => x.reduce((s, xi, i) => s + Math.sin(xi) * x[(i + 1) % n] ** 2, 0);
  const grad = (x: Float64Array) => x.map((xi, i) => Math.cos(xi) * x[(i + 1) % n] ** 2 + 2 * xi * Math.sin(x[(i + n - 1) % n]));

  it('matches the analytic directional derivative, with O(eps^2) error', () => {
    const rand = rng(3);
    for (let t = 0; t < 5; t++) {
      const x = Float64Array.from({ length: n }, () => 2 * rand() - 1);
      const dir = randomDirection(n, rand);
      const exact = grad(x).reduce((s, g, i) => s + g * dir[i], 0);
      expect(relError(directionalFD(f, x, dir, 1e-5), exact)).toBeLessThan(1e-8);
      const e1 = Math.abs(directionalFD(f, x, dir, 1e-2) - exact);
      const e2 = Math.abs(directionalFD(f, x, dir, 5e-3) - exact);
      expect(e1 / e2).toBeGreaterThan(3.5); // halving eps quarters the error
      expect(e1 / e2).toBeLessThan(4.5);
    }
  });

  it('random directions are unit, seeded and respect the mask', () => {
    const d = randomDirection(10, rng(1), (i) => i % 2 === 0);
    expect(Math.hypot(...d)).toBeCloseTo(1, 14);
    expect(d.filter((_, i) => i % 2 === 1).every((x) => x === 0)).toBe(true);
    expect(Array.from(randomDirection(10, rng(1)))).toEqual(Array.from(randomDirection(10, rng(1))));
    expect(() => randomDirection(3, rng(1), () => false)).toThrow(/no entry/);
  });
});

describe('finite differences through the reference rollout', () => {
  const res = 16, dx = 1 / res, x: number[] = [];
  for (let j = 0; j < 6; j++) for (let i = 0; i < 6; i++) x.push((6 + (i + 0.5) / 2) * dx, (6 + (j + 0.5) / 2) * dx);
  const n = x.length / 2;
  const scene: MpmScene = {
    name: 'fd', dim: 2, grid: { res: [res, res], dx }, dt: 1e-3, steps: 8, gravity: [0, 0], boundary: { walls: 'separate' },
    groups: [{ name: 'b', material: 'elastic', E: 100, nu: 0.3, density: 1 }],
    particles: { x, v: Array.from({ length: 2 * n }, (_, i) => (i % 2 ? 0.3 : -0.2) * Math.sin(i)), group: new Array(n).fill(0), vol: new Array(n).fill(dx * dx / 4) },
    colliders: [],
  };
  const packed = packMpm(scene);
  const model = refModel(packed), state0 = refState0(packed);
  const ps = 12, steps = 8;
  const meanX = (s: Float64Array) => { let m = 0; for (let p = 0; p < n; p++) m += s[p * ps]; return m / n; };

  it('d(mean x after k steps) / d(uniform initial v_x) = k dt (free flight)', () => {
    const dir = new Float64Array(state0.length);
    for (let p = 0; p < n; p++) dir[p * ps + 2] = 1;
    const fd = directionalFD((s) => meanX(rollout(model, s, steps)[steps]), state0, dir, 1e-4);
    expect(fd).toBeCloseTo(steps * model.dt, 10);
  });

  it('a loss is smooth in E: finite differences agree across step sizes', () => {
    const iE = ctrlGroupIndex(model, 0, 'E');
    const dir = new Float64Array(model.ctrl.length);
    dir[iE] = 1;
    const loss = (ctrl: Float64Array) => {
      const s = rollout(withCtrl(model, ctrl), state0, steps)[steps];
      let l = 0;
      for (let p = 0; p < n; p++) l += s[p * ps + 1] ** 2 + s[p * ps + 2] ** 2;
      return l;
    };
    const g1 = directionalFD(loss, model.ctrl, dir, 1e-2), g2 = directionalFD(loss, model.ctrl, dir, 1e-3);
    expect(Math.abs(g1)).toBeGreaterThan(1e-9);
    expect(relError(g1, g2)).toBeLessThan(1e-4);
  });
});
