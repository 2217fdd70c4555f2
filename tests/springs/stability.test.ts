// The time-step limit of stability.ts against the float64 reference step: exact where one free
// vertex is held by one element (stable at 0.98 of the limit, growing at 1.02), a certain blow-up
// past it on whole scenes, and validation's refusal naming dt, its value and the limit.
import { expect, test } from 'vitest';
import { compileSpringScene } from '../../src/springs/model';
import { stepRef } from '../../src/springs/reference';
import { maxEigen, stabilityLimit } from '../../src/springs/stability';
import { timeStepLimit, validateSpringScene } from '../../src/springs/validate';
import { SceneError } from '../../src/mpm/validate';
import type { SpringScene } from '../../src/springs/scene';
import { clothGrid } from '../../scenes/spring-builders';
import { buildScene, sceneNames } from '../../scenes/index';
import { mulberry32 } from '../../src/core/rng';

/** Zero gravity, no ground or colliders, at rest: only the elastic forces act. */
function still(s: SpringScene, dt: number): SpringScene {
  const { ground: _g, colliders: _c, actuation: _a, controller: _k, loss: _l, optimize: _o, mpc: _m, ...rest } = s as SpringScene & Record<string, unknown>;
  return { ...(rest as SpringScene), dt, gravity: s.gravity.map(() => 0), vertices: { ...s.vertices, v: s.vertices.v.map(() => 0) } };
}

/** Largest displacement from the rest shape over `steps` reference steps, from rest nudged by 1e-6; Infinity past 1e-3. */
function growth(s: SpringScene, steps: number): number {
  const m = compileSpringScene(s), d = m.dim, rnd = mulberry32(7);
  let st: Float64Array = Float64Array.from(m.state0);
  for (let i = 0; i < m.n; i++) for (let a = 0; a < d; a++) st[i * 2 * d + a] += 1e-6 * (rnd() - 0.5);
  let worst = 0;
  for (let t = 0; t < steps; t++) {
    st = stepRef(m, st, m.ctrl0, t);
    for (let i = 0; i < m.n; i++) for (let a = 0; a < d; a++) worst = Math.max(worst, Math.abs(st[i * 2 * d + a] - m.state0[i * 2 * d + a]));
    if (!Number.isFinite(worst) || worst > 1e-3) return Infinity;
  }
  return worst;
}

const material = (o: Partial<SpringScene['materials'][0]>) => ({ name: 'm', stiffness: 0, damping: 0, mu: 0, lambda: 0, bending: 0, ...o });
const base = { name: 'one', steps: 10, gravity: [0, 0, 0], extent: [1, 1, 1], damping: 0.3 };

/** One free vertex held by one element (the rest pinned): its block of K is the whole of K. */
const single: Record<string, SpringScene> = {
  spring: {
    ...base, kind: 'springs' as const, dim: 2 as const, dt: 1e-3, extent: [1, 1], gravity: [0, 0],
    materials: [material({ stiffness: 40 })],
    vertices: { x: [0.4, 0.5, 0.5, 0.52], v: [0, 0, 0, 0], mass: [0.01, 0.02] },
    springs: { pairs: [0, 1], material: [0] }, pinned: [0],
  },
  membrane: {
    ...base, kind: 'shell' as const, dim: 3 as const, dt: 1e-3,
    materials: [material({ mu: 3, lambda: 2 })],
    vertices: { x: [0.4, 0.5, 0.4, 0.5, 0.5, 0.42, 0.46, 0.5, 0.5], v: new Array(9).fill(0), mass: [0.01, 0.01, 0.003] },
    triangles: { indices: [0, 1, 2], material: [0] }, pinned: [0, 1],
  },
  bending: {
    ...base, kind: 'shell' as const, dim: 3 as const, dt: 1e-3,
    materials: [material({ bending: 0.02 })],
    vertices: { x: [0.4, 0.5, 0.4, 0.5, 0.5, 0.5, 0.5, 0.5, 0.4, 0.4, 0.52, 0.5], v: new Array(12).fill(0), mass: [0.01, 0.01, 0.01, 0.004] },
    triangles: { indices: [0, 1, 2, 1, 0, 3], material: [0, 0] }, pinned: [0, 1, 2],
  },
};

test('the largest eigenvalue of a symmetric 3x3 block', () => {
  // R diag(1, 2, 5) R^T for a rotation R about (1, 1, 1)
  const c = Math.cos(0.7), s = Math.sin(0.7), k = 1 / Math.sqrt(3);
  const R = [c + k * k * (1 - c), k * k * (1 - c) - k * s, k * k * (1 - c) + k * s, k * k * (1 - c) + k * s, c + k * k * (1 - c), k * k * (1 - c) - k * s, k * k * (1 - c) - k * s, k * k * (1 - c) + k * s, c + k * k * (1 - c)];
  const D = [1, 2, 5];
  const A = Array.from({ length: 9 }, (_, i) => [0, 1, 2].reduce((sum, q) => sum + R[3 * Math.floor(i / 3) + q] * D[q] * R[3 * (i % 3) + q], 0));
  expect(maxEigen(A)).toBeCloseTo(5, 10);
  expect(maxEigen([2, 0, 0, 0, 7, 0, 0, 0, 3])).toBe(7);
  expect(maxEigen([0, 0, 0, 0, 0, 0, 0, 0, 0])).toBe(0);
});

for (const [kind, scene] of Object.entries(single)) {
  test(`one vertex held by ${kind === 'spring' ? 'a spring' : kind === 'membrane' ? 'a triangle' : 'a hinge'}: the limit is exact, stable at 0.98 of it and growing at 1.02`, () => {
    const limit = stabilityLimit(compileSpringScene(scene));
    expect(limit.by).toBe(kind === 'spring' ? 'springs' : kind);
    expect(limit.dtMax).toBeGreaterThan(1e-4);
    expect(growth(still(scene, 0.98 * limit.dtMax), 3000)).toBeLessThan(1e-5);
    expect(growth(still(scene, 1.02 * limit.dtMax), 3000)).toBe(Infinity);
  });
}

test('past the limit whole scenes blow up: the 2D walker, a cloth with bending', () => {
  const cloth = clothGrid({ nx: 6, ny: 6, size: [0.3, 0.3], origin: [0.35, 0.5, 0.35], plane: 'xz', density: 0.2 });
  const scenes: SpringScene[] = [
    buildScene('spring-robot-2d') as SpringScene,
    { ...base, kind: 'shell' as const, dim: 3 as const, dt: 1e-3, materials: [material({ mu: 20, lambda: 10, bending: 1e-3 })], vertices: cloth.vertices, triangles: cloth.triangles },
  ];
  for (const s of scenes) {
    const limit = stabilityLimit(compileSpringScene(s)).dtMax;
    expect(growth(still(s, 1.02 * limit), 2000)).toBe(Infinity);
  }
});

test('validation refuses a dt past the limit, naming dt, its value and the limit; every registered spring scene is under it', () => {
  for (const name of sceneNames) {
    const s = buildScene(name) as SpringScene;
    if (s.kind !== 'springs' && s.kind !== 'shell') continue;
    const limit = stabilityLimit(compileSpringScene(s)).dtMax;
    expect(s.dt, name).toBeLessThan(0.8 * limit);
    const bad = { ...s, dt: 1.1 * limit };
    expect(() => validateSpringScene(bad)).toThrow(SceneError);
    expect(() => validateSpringScene(bad)).toThrow(/dt = .* is above the stability limit of the explicit step .*< [0-9.e-]+ \(vertex \d+, mass/);
  }
});

test("one vertex held by a damped spring: the dashpot's estimate is exact there, and only an estimate on a whole robot", () => {
  // the vertex alone along its spring is a one-degree-of-freedom system, so the damped limit is its own
  const s = { ...single.spring, materials: [material({ stiffness: 40, damping: 1 })] };
  const limit = stabilityLimit(compileSpringScene(s));
  expect(limit.dtDamped).toBeLessThan(0.9 * limit.dtMax);
  expect(growth(still(s, 0.98 * limit.dtDamped), 3000)).toBeLessThan(1e-5);
  expect(growth(still(s, 1.02 * limit.dtDamped), 3000)).toBe(Infinity);
  // without dashpots the estimate is the certain limit
  const bare = stabilityLimit(compileSpringScene(single.spring));
  expect(bare.dtDamped).toBe(bare.dtMax);
  // the walker's dashpots lower its estimate; its certain limit stays the refusal's
  const walker = buildScene('spring-robot-2d') as SpringScene;
  const stiff = { ...walker, materials: walker.materials.map((m) => ({ ...m, damping: 20 * Math.max(m.damping, 0.05) })) };
  const w = stabilityLimit(compileSpringScene(stiff));
  expect(w.dtDamped).toBeLessThan(w.dtMax);
  expect(w.dtMax).toBe(stabilityLimit(compileSpringScene(walker)).dtMax);
});

test('timeStepLimit gives a scene built in code the dt validation accepts, whatever dt it was built with', () => {
  const mesh = clothGrid({ nx: 12, ny: 12, size: [0.3, 0.3], origin: [0.35, 0.5, 0.35], plane: 'xz', density: 0.05 });
  const scene: SpringScene = {
    kind: 'shell', name: 'fine', dim: 3, dt: 0.01, steps: 10, gravity: [0, -9.8, 0], damping: 1, extent: [1, 1, 1],
    materials: [{ name: 'm', stiffness: 1, damping: 0, mu: 40, lambda: 20, bending: 1e-3 }], vertices: mesh.vertices, triangles: mesh.triangles,
  };
  expect(() => validateSpringScene(scene)).toThrow(/dt = 0.01 is above the stability limit/);
  const limit = timeStepLimit(scene);
  expect(() => validateSpringScene({ ...scene, dt: 0.99 * limit.dtMax })).not.toThrow();
  expect(() => validateSpringScene({ ...scene, dt: 1.01 * limit.dtMax })).toThrow(/above the stability limit/);
  expect(limit.by).toBe('membrane');
  // everything but dt is checked as validation checks it
  expect(() => timeStepLimit({ ...scene, materials: [{ ...scene.materials[0], mu: -1 }] })).toThrow(/materials\[0\]\.mu = -1/);
});
