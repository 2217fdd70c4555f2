// Every registered scene builds, validates and has the size its tests and CI budget assume.
import { describe, expect, it } from 'vitest';
import { buildMpmScene, buildScene, defaultScene, sceneList, sceneNames } from '../../scenes/index';
import { maxStableDt, validateScene } from '../../src/mpm/validate';
import { sceneHorizon } from '../../src/mpm/layout';
import { rotation } from '../../src/mpm/reference/small-matrix';

// [dim, res per axis (or the axes' own), particles min..max, steps max]: 2 CPU cores and a software GPU run these.
const SIZES: Record<string, { dim: number; res: number | number[]; n: [number, number]; maxSteps: number }> = {
  'jelly-drop-2d': { dim: 2, res: 128, n: [2000, 6000], maxSteps: 400 },
  'dam-break-2d': { dim: 2, res: 128, n: [3000, 6000], maxSteps: 600 },
  'dam-break-3d': { dim: 3, res: 32, n: [6000, 10000], maxSteps: 200 },
  'jelly-throw-2d': { dim: 2, res: 64, n: [1000, 2000], maxSteps: 300 },
  'plasticine-press-3d': { dim: 3, res: 32, n: [2000, 6000], maxSteps: 120 },
  'fluid-push-3d': { dim: 3, res: [32, 16, 16], n: [2000, 5000], maxSteps: 200 },
  'robot-walk-2d': { dim: 2, res: 64, n: [500, 3000], maxSteps: 400 },
  'jelly-sysid-2d': { dim: 2, res: 64, n: [500, 1500], maxSteps: 400 },
  'mpm-walker-2d': { dim: 2, res: 128, n: [2500, 3500], maxSteps: 1000 },
  'mpm-walker-mlp-2d': { dim: 2, res: 128, n: [2500, 3500], maxSteps: 400 },
};

// spring and shell scenes: [dim, vertices min..max, steps max]
const SPRING_SIZES: Record<string, { dim: number; n: [number, number]; maxSteps: number; loss?: string | null }> = {
  'spring-robot-2d': { dim: 2, n: [20, 30], maxSteps: 1000 },
  'robot-chase-mpc-2d': { dim: 2, n: [20, 30], maxSteps: 2000, loss: null }, // torsion mpc aims at its goal
  'spring-walker-2d': { dim: 2, n: [20, 30], maxSteps: 400, loss: 'com-speed' },
  'spring-robot-3d': { dim: 3, n: [30, 80], maxSteps: 1000 },
  'cloth-drape-3d': { dim: 3, n: [500, 2000], maxSteps: 2000 },
  'cloth-fold-3d': { dim: 3, n: [500, 700], maxSteps: 2000, loss: 'match-pairs' },
  'cloth-lift-3d': { dim: 3, n: [200, 400], maxSteps: 2000 },
  'paper-crease-3d': { dim: 3, n: [100, 300], maxSteps: 2000 },
};

describe('scene registry', () => {
  it('lists every scene once, with the default among them', () => {
    expect(new Set(sceneNames).size).toBe(sceneNames.length);
    expect([...sceneNames].sort()).toEqual([...Object.keys(SIZES), ...Object.keys(SPRING_SIZES)].sort());
    expect(sceneNames).toContain(defaultScene);
    expect(defaultScene).toBe('mpm-walker-2d');
    for (const { name, description } of sceneList) {
      expect(sceneNames).toContain(name);
      expect(description.length).toBeGreaterThan(10);
    }
  });

  it('refuses an unknown name and lists the known ones', () => {
    expect(() => buildMpmScene('jelly-drop')).toThrow(/unknown scene "jelly-drop": known scenes are .*jelly-drop-2d.*dam-break-3d/);
  });

  for (const name of Object.keys(SIZES)) {
    it(`${name} builds, validates and has its intended size`, () => {
      const s = buildMpmScene(name);
      expect(s.name).toBe(name);
      expect(validateScene(s)).toBe(s);
      const want = SIZES[name];
      const n = s.particles.group.length;
      expect(s.dim).toBe(want.dim);
      const res = Array.isArray(want.res) ? want.res : new Array<number>(want.dim).fill(want.res);
      expect(s.grid.res).toEqual(res);
      expect(s.grid.dx).toBeCloseTo(1 / res[0], 12);
      expect(n).toBeGreaterThanOrEqual(want.n[0]);
      expect(n).toBeLessThanOrEqual(want.n[1]);
      expect(s.steps).toBeLessThanOrEqual(want.maxSteps);
      // A margin under the validator's limit: the GPU runs these in float32.
      expect(s.dt).toBeLessThanOrEqual(0.75 * maxStableDt(s));
      expect(sceneHorizon(s)).toBe(s.steps);
    });
  }

  for (const [name, want] of Object.entries(SPRING_SIZES)) {
    it(`${name} builds, validates and has its intended size`, () => {
      const s = buildScene(name);
      if ('particles' in s) throw new Error(`${name} is not a spring scene`);
      expect(s.name).toBe(name);
      expect(validateScene(s)).toBe(s);
      expect(s.dim).toBe(want.dim);
      expect(s.vertices.mass.length).toBeGreaterThanOrEqual(want.n[0]);
      expect(s.vertices.mass.length).toBeLessThanOrEqual(want.n[1]);
      expect(s.steps).toBeLessThanOrEqual(want.maxSteps);
      expect(s.loss?.kind ?? null).toBe(want.loss === undefined ? 'com-target' : want.loss);
    });
  }

  it('builds the same data every time (scenes are data, not dice rolls)', () => {
    for (const name of sceneNames) expect(buildScene(name)).toEqual(buildScene(name));
  });

  it('gives each build its own arrays', () => {
    const a = buildMpmScene('jelly-drop-2d');
    a.particles.x[0] = -1;
    a.groups[0].E = -1;
    expect(buildMpmScene('jelly-drop-2d').particles.x[0]).toBeGreaterThan(0);
    expect(buildMpmScene('jelly-drop-2d').groups[0].E).toBe(1e3);
  });
});

describe('scene contents', () => {
  const com = (x: number[], dim: number) => {
    const c = new Array<number>(dim).fill(0);
    for (let p = 0; p < x.length / dim; p++) for (let i = 0; i < dim; i++) c[i] += x[p * dim + i] / (x.length / dim);
    return c;
  };

  it('jelly-throw-2d misses its target at the start, and a free flight with the right velocity hits it', () => {
    const s = buildMpmScene('jelly-throw-2d');
    expect(s.loss).toEqual({ kind: 'com-target', group: 0, target: expect.any(Array) });
    expect(s.optimize?.params).toEqual(['initialVelocity']);
    const { dt, steps: N } = s;
    const c0 = com(s.particles.x, 2);
    const v0 = s.particles.v.slice(0, 2);
    // Free flight of the centre of mass under the symplectic Euler update of g2p.
    const land = (v: number[]) => c0.map((c, i) => c + N * dt * v[i] + s.gravity[i] * dt * dt * (N * (N + 1)) / 2);
    if (s.loss?.kind !== 'com-target') throw new Error('jelly-throw-2d: not a com-target loss');
    const target = s.loss.target;
    const miss = Math.hypot(...land(v0).map((x, i) => x - target[i]));
    expect(miss).toBeGreaterThan(0.05);
    const vStar = target.map((t, i) => (t - c0[i] - s.gravity[i] * dt * dt * (N * (N + 1)) / 2) / (N * dt));
    // The velocity that hits it is reachable, stable, and keeps the jelly inside the walls.
    expect(Math.hypot(...vStar) * dt).toBeLessThan(0.2 * s.grid.dx);
    const xs = s.particles.x;
    for (let p = 0; p < xs.length / 2; p++) {
      for (const v of [v0, vStar]) {
        const end = xs[2 * p] + N * dt * v[0];
        expect(end).toBeLessThan((s.grid.res[0] - 3) * s.grid.dx);
      }
    }
  });

  it('plasticine-press-3d moves its press down at constant speed, one row per step', () => {
    const s = buildMpmScene('plasticine-press-3d');
    expect(s.colliders).toHaveLength(1);
    const [press] = s.colliders;
    expect(press.position).toHaveLength(s.steps);
    expect(press.velocity).toHaveLength(1);
    const [u] = press.velocity;
    expect(u[1]).toBeLessThan(0);
    press.position.forEach((row, t) => row.forEach((x, i) => expect(x).toBeCloseTo(press.position[0][i] + t * s.dt * u[i], 12)));
    // It turns about the vertical at its angular velocity: each row is the last turned by dt |w|.
    const [w] = press.angularVelocity!;
    expect(w[0]).toBe(0);
    expect(w[2]).toBe(0);
    const o = press.orientation!;
    expect(o).toHaveLength(s.steps);
    for (let t = 1; t < o.length; t++) {
      const cosHalf = o[t].reduce((a, q, i) => a + q * o[t - 1][i], 0); // |q_t . q_t-1| = cos(turn / 2)
      expect(2 * Math.acos(Math.min(1, cosHalf))).toBeCloseTo(s.dt * Math.abs(w[1]), 9);
    }
    // It starts above the block: its lowest corner, tilted, is over the top particle.
    const top = Math.max(...s.particles.x.filter((_, k) => k % 3 === 1));
    const R = rotation(3, o[0]);
    const h = press.halfExtents!;
    let low = Infinity;
    for (const sx of [-1, 1]) for (const sy of [-1, 1]) for (const sz of [-1, 1]) {
      low = Math.min(low, press.position[0][1] + R[1] * sx * h[0] + R[4] * sy * h[1] + R[7] * sz * h[2]);
    }
    expect(low).toBeGreaterThan(top);
    expect(low).toBeLessThan(press.position[0][1] - h[1]); // the tilt lowers one edge
    expect(s.groups[0].plastic).toEqual({ thetaC: 0.025, thetaS: 0.0045 });
  });

  it('robot-walk-2d actuates each muscle group on its own channel, one row per step', () => {
    const s = buildMpmScene('robot-walk-2d');
    const channels = s.actuation!.channels;
    expect(s.groups.map((g) => g.actuator!.channel)).toEqual([...Array(channels).keys()]);
    expect(s.actuation!.values).toHaveLength(channels * s.steps);
    expect(Math.max(...s.actuation!.values!.map(Math.abs))).toBeLessThanOrEqual(1);
    expect(s.boundary.groundFriction).toBeGreaterThan(0);
  });

  it('the fluids are weakly compressible: sound speed several times the fastest flow', () => {
    for (const name of ['dam-break-2d', 'dam-break-3d']) {
      const s = buildMpmScene(name);
      const g = s.groups[0];
      const K = s.dim === 2 ? g.E / (2 * (1 + g.nu) * (1 - 2 * g.nu)) : g.E / (3 * (1 - 2 * g.nu));
      const c = Math.sqrt(K / g.density);
      const ys = s.particles.x.filter((_, k) => k % s.dim === 1);
      const H = Math.max(...ys) - Math.min(...ys);
      expect(c).toBeGreaterThan(3 * Math.sqrt(2 * 9.8 * H));
      expect(g.material).toBe('fluid');
    }
  });
});
