// Physics sanity of the float64 reference: conservation laws and analytic cases on small inline scenes.
import { describe, expect, it } from 'vitest';
import type { GroupDesc, MpmScene, WallKind } from '../../../src/mpm/scene';
import { packMpm, particleStride } from '../../../src/mpm/layout';
import {
  g2p, gridUpdate, loadGroup, p2g, particle, refModel, refState0, rollout, step, type RefModel,
} from '../../../src/mpm/reference';
import { rng } from '../../../src/core/finite-diff';

interface BlockOpts {
  dim?: 2 | 3;
  res?: number;
  /** Lower corner and size of the block, in cells. */
  lo: number[];
  size: number[];
  material?: GroupDesc['material'];
  E?: number;
  gravity?: number[];
  walls?: WallKind;
  groundFriction?: number;
  dt?: number;
  v?: number[];
}

/** A block of particles, 2 per cell per axis, on a res^dim grid over the unit square/cube. */
function blockScene(o: BlockOpts): MpmScene {
  const dim = o.dim ?? 2, res = o.res ?? 32, dx = 1 / res, ppc = 2;
  const x: number[] = [], v: number[] = [];
  const counts = o.size.map((s) => s * ppc);
  const n = counts.reduce((a, b) => a * b, 1);
  for (let p = 0; p < n; p++) {
    let r = p;
    for (let i = 0; i < dim; i++) {
      const j = r % counts[i]; r = Math.floor(r / counts[i]);
      x.push((o.lo[i] + (j + 0.5) / ppc) * dx);
      v.push(o.v?.[i] ?? 0);
    }
  }
  return {
    name: 'block', dim, grid: { res: new Array(dim).fill(res), dx }, dt: o.dt ?? 2e-4, steps: 1,
    gravity: o.gravity ?? new Array(dim).fill(0),
    boundary: { walls: o.walls ?? 'separate', groundFriction: o.groundFriction },
    groups: [{ name: 'block', material: o.material ?? 'elastic', E: o.E ?? 400, nu: 0.2, density: 2 }],
    particles: { x, v, group: new Array(n).fill(0), vol: new Array(n).fill(dx ** dim / ppc ** dim) },
    colliders: [],
  };
}

function setup(o: BlockOpts): { model: RefModel; state: Float64Array } {
  const packed = packMpm(blockScene(o));
  return { model: refModel(packed), state: refState0(packed) };
}

/** Random v, C and F near I, so that stress and the affine terms all take part. */
function stir(model: RefModel, state: Float64Array, seed: number, drift: number[]): Float64Array {
  const rand = rng(seed), d = model.dim, s = Float64Array.from(state);
  for (let p = 0; p < model.n; p++) {
    const P = particle(s, d, p);
    for (let i = 0; i < d; i++) P.v[i] = drift[i] + 0.1 * (rand() - 0.5);
    for (let i = 0; i < d * d; i++) { P.C[i] = rand() - 0.5; P.F[i] += 0.05 * (rand() - 0.5); }
  }
  return s;
}

function particleMomentum(model: RefModel, state: Float64Array): Float64Array {
  const d = model.dim, out = new Float64Array(d);
  for (let p = 0; p < model.n; p++) {
    const m = loadGroup(model, model.particleGroup[p]).density * model.particleVol[p];
    const v = particle(state, d, p).v;
    for (let i = 0; i < d; i++) out[i] += m * v[i];
  }
  return out;
}

function totalMass(model: RefModel): number {
  let m = 0;
  for (let p = 0; p < model.n; p++) m += loadGroup(model, model.particleGroup[p]).density * model.particleVol[p];
  return m;
}

function sumNodes(a: Float64Array, d: number): Float64Array {
  const s = new Float64Array(d);
  a.forEach((x, i) => { s[i % d] += x; });
  return s;
}

function relDiff(a: Float64Array, b: Float64Array): number {
  const scale = Math.max(...Array.from(b, Math.abs));
  return Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i]))) / scale;
}

const ys = (model: RefModel, s: Float64Array, ax = 1) => Array.from({ length: model.n }, (_, p) => s[p * particleStride(model.dim) + ax]);

describe.each([
  { dim: 2 as const, res: 32, lo: [10, 12], size: [8, 8] },
  { dim: 3 as const, res: 16, lo: [6, 6, 6], size: [4, 4, 4] },
])('reference MPM $dim D: conservation', ({ dim, res, lo, size }) => {
  const drift = dim === 2 ? [0.3, -0.2] : [0.3, -0.2, 0.1];

  it('p2g conserves mass exactly', () => {
    const { model, state } = setup({ dim, res, lo, size });
    const grid = p2g(model, stir(model, state, 1, drift), 0);
    const m = grid.m.reduce((a, b) => a + b, 0);
    expect(Math.abs(m - totalMass(model)) / totalMass(model)).toBeLessThan(1e-14);
  });

  it('conserves momentum in free flight (no gravity, no walls touched)', () => {
    const { model, state } = setup({ dim, res, lo, size });
    let s = stir(model, state, 2, drift);
    const P0 = particleMomentum(model, s);
    // p2g: sum_i w_ip (x_i - x_p) = 0, so neither the stress nor the affine term adds momentum.
    expect(relDiff(sumNodes(p2g(model, s, 0).mv, dim), P0)).toBeLessThan(1e-12);
    for (let k = 0; k < 5; k++) s = step(model, s, k);
    expect(relDiff(particleMomentum(model, s), P0)).toBeLessThan(1e-12);
  });

  it('an elastic block in free fall keeps v = g t and x = x0 + g dt^2 k(k+1)/2', () => {
    const g = dim === 2 ? [0, -9.8] : [0, -9.8, 0];
    const { model, state } = setup({ dim, res, lo, size, gravity: g });
    const k = 10, states = rollout(model, state, k), dt = model.dt, gy = model.gravity[1];
    for (let p = 0; p < model.n; p++) {
      const P = particle(states[k], dim, p), P0 = particle(state, dim, p);
      expect(P.v[1]).toBeCloseTo(gy * k * dt, 12);
      expect(P.v[0]).toBeCloseTo(0, 12);
      expect(P.x[1] - P0.x[1]).toBeCloseTo(gy * dt * dt * (k * (k + 1)) / 2, 12);
      P.C.forEach((c) => expect(Math.abs(c)).toBeLessThan(1e-9));
      P.F.forEach((f, i) => expect(f).toBeCloseTo(i % (dim + 1) === 0 ? 1 : 0, 12));
    }
  });
});

describe('reference MPM 2D: contact and flow', () => {
  it('a block dropped onto the ground lands at t = sqrt(2 h / g) and rebounds', () => {
    const { model, state } = setup({ lo: [13, 12], size: [6, 4], gravity: [0, -9.8], groundFriction: 0.5, dt: 1e-3, E: 300 });
    const { dx, dt, bound } = model, g = -model.gravity[1];
    const y0 = ys(model, state);
    const low = y0.indexOf(Math.min(...y0));
    // The lowest particle feels the ground once its stencil (nodes base..base+2, base = floor(y/dx - 0.5))
    // reaches the ground band (nodes 0..bound-1): y < (bound + 0.5) dx.
    const h = y0[low] - (bound + 0.5) * dx;
    let s = state, landed = -1;
    for (let k = 0; k < 2000 && landed < 0; k++) {
      const next = step(model, s, k);
      const vBefore = particle(s, 2, low).v[1], vAfter = particle(next, 2, low).v[1];
      if (vAfter > vBefore - g * dt + 1e-9) landed = k;
      s = next;
    }
    expect(landed).toBeGreaterThan(0);
    expect(Math.abs(landed * dt - Math.sqrt((2 * h) / g))).toBeLessThanOrEqual(dt);
    // The ground holds it and turns it back: over the next 0.15 s no particle sinks through the wall
    // band, and the block's mean velocity becomes upward (an elastic rebound).
    let minY = Infinity, maxVy = -Infinity;
    for (let k = landed + 1; k < landed + 150; k++) {
      s = step(model, s, k);
      minY = Math.min(minY, ...ys(model, s));
      maxVy = Math.max(maxVy, Array.from({ length: model.n }, (_, p) => particle(s, 2, p).v[1]).reduce((a, b) => a + b) / model.n);
    }
    expect(minY).toBeGreaterThan(2 * dx);
    expect(maxVy).toBeGreaterThan(0);
  });

  it('a dam-break fluid column collapses and spreads', () => {
    const { model, state } = setup({ lo: [3, 3], size: [6, 12], material: 'fluid', E: 100, gravity: [0, -9.8], dt: 1e-3 });
    const steps = 300; // 0.3 s, longer than the collapse time sqrt(H / g) ~ 0.2 s
    let s = state;
    for (let k = 0; k < steps; k++) s = step(model, s, k);
    const front = (st: Float64Array) => Math.max(...ys(model, st, 0)) / model.dx;
    const top = (st: Float64Array) => Math.max(...ys(model, st, 1)) / model.dx;
    expect(front(s) - front(state)).toBeGreaterThan(4);
    expect(top(state) - top(s)).toBeGreaterThan(4);
    expect(s.every(Number.isFinite)).toBe(true);
    expect(gridUpdate(model, p2g(model, s, steps), steps).v.every(Number.isFinite)).toBe(true);
    // The stage functions compose to step().
    const grid = gridUpdate(model, p2g(model, s, steps), steps);
    expect(Array.from(g2p(model, s, grid, steps))).toEqual(Array.from(step(model, s, steps)));
  });
});
