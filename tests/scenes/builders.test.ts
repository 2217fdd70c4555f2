// The builders place particles where and as many as they say, deterministically.
import { describe, expect, it } from 'vitest';
import {
  addCollider, addGroup, axisAngle, fillBox, fillMesh, fillSphere, finalizeScene, gravity, linearTrack, quatMul, sceneBase, setActuation,
  sortByStencilBase, turningTrack,
} from '../../scenes/builders';
import { scatterRun } from '../../src/shaders/compose';
import { mul, rotation } from '../../src/mpm/reference/small-matrix';
import { mulberry32 } from '../../src/core/rng';
import type { MpmScene } from '../../src/mpm/scene';
import { validateScene } from '../../src/mpm/validate';

function base(dim: 2 | 3): MpmScene {
  const res = new Array(dim).fill(32);
  return sceneBase({ name: 't', dim, res, dt: 1e-4, steps: 10, gravity: gravity(dim), boundary: { walls: 'sticky' } });
}
const jelly = { name: 'j', material: 'elastic' as const, E: 1e3, nu: 0.2, density: 1 };

describe('mulberry32', () => {
  it('is deterministic per seed, in [0, 1), and differs between seeds', () => {
    const a = mulberry32(42), b = mulberry32(42), c = mulberry32(43);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(c()).not.toBe(xs[0]);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
  });
});

describe('sceneBase', () => {
  it('defaults dx to 1 / res[0] and starts empty', () => {
    const s = base(2);
    expect(s.grid.dx).toBe(1 / 32);
    expect(s.groups).toEqual([]);
    expect(s.colliders).toEqual([]);
    expect(s.particles).toEqual({ x: [], v: [], group: [], vol: [] });
  });

  it('refuses res or gravity of the wrong dimension', () => {
    expect(() => sceneBase({ name: 't', dim: 3, res: [8, 8], dt: 1, steps: 1, gravity: [0, 0, 0], boundary: { walls: 'slip' } }))
      .toThrow(/res has 2 entries, expected dim = 3/);
    expect(() => sceneBase({ name: 't', dim: 2, res: [8, 8], dt: 1, steps: 1, gravity: [0], boundary: { walls: 'slip' } }))
      .toThrow(/gravity has 1 entries/);
  });
});

describe('fillBox', () => {
  for (const dim of [2, 3] as const) {
    for (const ppc of [1, 2, 3]) {
      it(`puts ppc^${dim} particles in each cell, each of volume dx^${dim} / ppc^${dim} (ppc ${ppc})`, () => {
        const s = base(dim);
        const dx = s.grid.dx;
        const g = addGroup(s, jelly);
        const lo = new Array(dim).fill(4 * dx);
        const hi = lo.map((l, i) => l + (i + 2) * dx); // 2 x 3 (x 4) cells
        const cells = dim === 2 ? 6 : 24;
        const n = fillBox(s, g, lo, hi, { ppc });
        expect(n).toBe(cells * ppc ** dim);
        expect(s.particles.group).toEqual(new Array(n).fill(g));
        for (const v of s.particles.vol) expect(v).toBeCloseTo(dx ** dim / ppc ** dim, 15);
        // Total volume is the box's volume.
        expect(s.particles.vol.reduce((a, b) => a + b, 0)).toBeCloseTo(cells * dx ** dim, 12);
        for (let p = 0; p < n; p++) {
          for (let i = 0; i < dim; i++) {
            const x = s.particles.x[p * dim + i];
            expect(x).toBeGreaterThan(lo[i]);
            expect(x).toBeLessThan(hi[i]);
          }
        }
        // Centre of mass at the centre of the box (a regular lattice).
        for (let i = 0; i < dim; i++) {
          let c = 0;
          for (let p = 0; p < n; p++) c += s.particles.x[p * dim + i] / n;
          expect(c).toBeCloseTo((lo[i] + hi[i]) / 2, 12);
        }
      });
    }
  }

  // The scatter kernels take scatterRun(dim) consecutive particles per invocation and flush once
  // per stencil base they meet (p2g.wgsl): a base's 2^dim particles must fill one invocation.
  function expectRunAligned(s: MpmScene, start: number, end: number): void {
    const dim = s.dim;
    const run = scatterRun(dim);
    expect(run).toBe(2 ** dim);
    const key = (p: number) => {
      let k = 0;
      for (let i = dim - 1; i >= 0; i--) k = k * s.grid.res[i] + Math.floor(s.particles.x[p * dim + i] / s.grid.dx - 0.5);
      return k;
    };
    const count = new Map<number, number>();
    for (let p = start; p < end; p++) count.set(key(p), (count.get(key(p)) ?? 0) + 1);
    const fullBases = [...count.values()].filter((c) => c === run).length;
    expect(fullBases).toBeGreaterThan(0);
    let last = -1;
    for (let r = 0; r < fullBases; r++) {
      const p0 = start + r * run;
      const k = key(p0);
      expect(k, `run ${r}: bases in increasing order`).toBeGreaterThan(last);
      last = k;
      for (let p = p0; p < p0 + run; p++) expect(key(p), `particle ${p} shares run ${r}'s base`).toBe(k);
    }
    for (let p = start + fullBases * run; p < end; p++) expect(count.get(key(p))).toBeLessThan(run);
  }

  for (const dim of [2, 3] as const) {
    it(`stores each stencil base's 2^${dim} particles as one run, on the scatter kernels' boundaries, the partial bases last (${dim}D)`, () => {
      const s = base(dim);
      const dx = s.grid.dx;
      const g = addGroup(s, jelly);
      // a box on the cell lattice, as most scenes' are: its first and last layers are partial bases
      const lo = new Array(dim).fill(4 * dx);
      const n = fillBox(s, g, lo, lo.map((l, i) => l + (i + 3) * dx));
      expectRunAligned(s, 0, n);
    });
  }

  it('sortByStencilBase gives each group that order, whatever order the particles came in', () => {
    const s = base(3);
    const dx = s.grid.dx;
    const a = addGroup(s, jelly), b = addGroup(s, { ...jelly, name: 'k' });
    const na = fillBox(s, a, [4.6 * dx, 4.6 * dx, 4.6 * dx], [8.6 * dx, 7.6 * dx, 9.6 * dx]);
    const nb = fillBox(s, b, [12.2 * dx, 4.2 * dx, 4.2 * dx], [15.2 * dx, 7.2 * dx, 6.2 * dx]);
    // shuffle every particle (x, v, group and vol together)
    const rand = mulberry32(3);
    const order = [...Array(na + nb).keys()].sort(() => rand() - 0.5);
    const P = s.particles;
    s.particles = {
      x: order.flatMap((p) => P.x.slice(3 * p, 3 * p + 3)),
      v: order.flatMap((p) => P.v.slice(3 * p, 3 * p + 3)),
      group: order.map((p) => P.group[p]),
      vol: order.map((p) => P.vol[p]),
    };
    sortByStencilBase(s);
    expect(s.particles.group).toEqual([...new Array(na).fill(a), ...new Array(nb).fill(b)]);
    expectRunAligned(s, 0, na);
    expectRunAligned(s, na, na + nb);
  });

  it('gives every particle the initial velocity', () => {
    const s = base(2);
    const n = fillBox(s, addGroup(s, jelly), [0.2, 0.2], [0.3, 0.3], { velocity: [1, -2] });
    expect(s.particles.v).toEqual(Array.from({ length: n }, () => [1, -2]).flat());
  });

  it('jitters within the lattice spacing, the same for the same seed', () => {
    const fill = (seed: number, jitter = 0.5) => {
      const s = base(2);
      fillBox(s, addGroup(s, jelly), [0.25, 0.25], [0.5, 0.5], { jitter, seed });
      return s.particles.x;
    };
    const still = fill(1, 0);
    const a = fill(3), b = fill(3), c = fill(4);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a).toHaveLength(still.length);
    const h = 1 / 32 / 2;
    a.forEach((x, k) => expect(Math.abs(x - still[k])).toBeLessThanOrEqual(0.25 * h));
  });

  it('refuses a missing group and a bad ppc', () => {
    const s = base(2);
    expect(() => fillBox(s, 0, [0.2, 0.2], [0.3, 0.3])).toThrow(/group 0 does not exist.*addGroup/);
    addGroup(s, jelly);
    expect(() => fillBox(s, 0, [0.2, 0.2], [0.3, 0.3], { ppc: 0 })).toThrow(/ppc = 0/);
    expect(() => fillBox(s, 0, [0.2], [0.3, 0.3])).toThrow(/2 coordinates/);
  });
});

describe('fillSphere', () => {
  it('keeps lattice points inside the ball, about pi r^2 of volume', () => {
    const s = base(2);
    const n = fillSphere(s, addGroup(s, jelly), [0.5, 0.5], 0.2);
    for (let p = 0; p < n; p++) expect(Math.hypot(s.particles.x[2 * p] - 0.5, s.particles.x[2 * p + 1] - 0.5)).toBeLessThanOrEqual(0.2);
    const vol = s.particles.vol.reduce((a, b) => a + b, 0);
    expect(vol / (Math.PI * 0.04)).toBeCloseTo(1, 1);
  });

  it('fills a 3D ball', () => {
    const s = base(3);
    fillSphere(s, addGroup(s, jelly), [0.5, 0.5, 0.5], 0.15);
    const vol = s.particles.vol.reduce((a, b) => a + b, 0);
    expect(vol / ((4 / 3) * Math.PI * 0.15 ** 3)).toBeCloseTo(1, 1);
  });
});

describe('fillMesh', () => {
  /** A cube of side 2 around the origin; `split`: each face as two triangles, else as a quad. */
  function cube(split: boolean): { vertices: number[][]; faces: number[][] } {
    const vertices = [[-1, -1, -1], [1, -1, -1], [1, 1, -1], [-1, 1, -1], [-1, -1, 1], [1, -1, 1], [1, 1, 1], [-1, 1, 1]];
    // the x = -1 face from corner 0: split, its diagonal 0-7 runs along y = z, where lattice rows
    // cross it (a crossing at the near face decides every point of the row)
    const quads = [[0, 3, 2, 1], [4, 5, 6, 7], [0, 1, 5, 4], [1, 2, 6, 5], [2, 3, 7, 6], [0, 4, 7, 3]];
    return { vertices, faces: split ? quads.flatMap(([a, b, c, d]) => [[a, b, c], [a, c, d]]) : quads };
  }
  const sorted = (s: MpmScene) => Array.from({ length: s.particles.vol.length }, (_, p) => s.particles.x.slice(3 * p, 3 * p + 3).join(',')).sort();

  it('fills a cube as fillBox fills its box, also where lattice rows run exactly along the faces\' diagonals', () => {
    const box = base(3);
    const n = fillBox(box, addGroup(box, jelly), [0.4, 0.4, 0.4], [0.6, 0.6, 0.6]);
    for (const split of [false, true]) {
      // centred on the main diagonal, so rows with y = z lie on the split faces' shared diagonal edges
      const s = base(3);
      expect(fillMesh(s, addGroup(s, jelly), cube(split), { center: [0.5, 0.5, 0.5], size: 0.2 })).toBe(n);
      expect(sorted(s)).toEqual(sorted(box));
    }
  });

  it('fills a sphere mesh to within its polyhedron\'s volume, and leaves a torus\'s hole empty', () => {
    const ring = (u: number, v: number, R: number, r: number) => [(R + r * Math.cos(v)) * Math.cos(u), r * Math.sin(v), (R + r * Math.cos(v)) * Math.sin(u)];
    const grid = (nu: number, nv: number, at: (u: number, v: number) => number[], closeV: boolean) => {
      const vertices: number[][] = [], faces: number[][] = [];
      const rows = closeV ? nv : nv + 1;
      for (let j = 0; j < rows; j++) for (let i = 0; i < nu; i++) vertices.push(at((2 * Math.PI * i) / nu, closeV ? (2 * Math.PI * j) / nv : Math.PI * (j / nv - 0.5)));
      for (let j = 0; j < nv; j++) for (let i = 0; i < nu; i++) {
        const a = j * nu + i, b = j * nu + ((i + 1) % nu), c = ((j + 1) % rows) * nu + ((i + 1) % nu), d = ((j + 1) % rows) * nu + i;
        faces.push([a, b, c], [a, c, d]);
      }
      return { vertices, faces };
    };
    // a UV sphere of radius 1 (its poles are rings of coincident vertices: zero-area triangles, skipped)
    const sphere = grid(48, 24, (u, v) => [Math.cos(v) * Math.cos(u), Math.sin(v), Math.cos(v) * Math.sin(u)], false);
    const s = base(3);
    const k = fillMesh(s, addGroup(s, jelly), sphere, { center: [0.5, 0.5, 0.5], size: 0.3 });
    const vol = s.particles.vol.reduce((a, b) => a + b, 0);
    expect(vol / ((4 / 3) * Math.PI * 0.15 ** 3)).toBeCloseTo(1, 1);
    for (let p = 0; p < k; p++) expect(Math.hypot(...s.particles.x.slice(3 * p, 3 * p + 3).map((c) => c - 0.5))).toBeLessThan(0.15);
    const t = base(3);
    const torus = grid(48, 16, (u, v) => ring(u, v, 2, 0.7), true);
    const m = fillMesh(t, addGroup(t, jelly), torus, { center: [0.5, 0.5, 0.5], size: 0.4 });
    const x = t.particles.x;
    const radial = Array.from({ length: m }, (_, p) => Math.hypot(x[3 * p] - 0.5, x[3 * p + 2] - 0.5) / (0.4 / 5.4));
    expect(Math.min(...radial)).toBeGreaterThan(1.25); // the hole: R - r = 1.3 in the mesh's units
    expect(Math.max(...radial)).toBeLessThan(2.7);
    // the tube is 3.3 lattice spacings thick and a 16-gon (97% of the circle's area)
    const exact = 2 * Math.PI ** 2 * 2 * 0.7 ** 2 * (0.4 / 5.4) ** 3;
    const ratio = t.particles.vol.reduce((a, b) => a + b, 0) / exact;
    expect(ratio).toBeGreaterThan(0.88);
    expect(ratio).toBeLessThan(1.03);
  });

  it('refuses an open or flat mesh (no inside to fill), and fills a cube the same whichever way its faces wind', () => {
    const c = base(3);
    const j = addGroup(c, jelly);
    const open = { ...cube(false), faces: cube(false).faces.slice(0, 5) };
    expect(() => fillMesh(c, j, open, { center: [0.5, 0.5, 0.5], size: 0.2 })).toThrow(/fillMesh: the line along x at y = .*, z = .* \(the mesh's own coordinates\) crosses its faces 1 times: a closed mesh is crossed an even number of times/);
    const sheet = { vertices: [[0, 0, 0], [1, 0, 0], [1, 0, 1], [0, 0, 1]], faces: [[0, 1, 2, 3], [0, 3, 2, 1]] };
    expect(() => fillMesh(c, j, sheet, { center: [0.5, 0.5, 0.5], size: 0.2 })).toThrow('fillMesh: the mesh is flat: every vertex has y = 0, so it encloses no volume');
    expect(c.particles.vol).toHaveLength(0);
    const mixed = { ...cube(false), faces: cube(false).faces.map((f, k) => (k % 2 ? [...f].reverse() : f)) };
    const box = base(3);
    const n = fillBox(box, addGroup(box, jelly), [0.4, 0.4, 0.4], [0.6, 0.6, 0.6]);
    expect(fillMesh(c, j, mixed, { center: [0.5, 0.5, 0.5], size: 0.2 })).toBe(n);
  });

  it('fills a 2D polygon (an L) as the union of its two boxes, and refuses what it cannot fill', () => {
    const boxes = base(2);
    const g = addGroup(boxes, jelly);
    const n = fillBox(boxes, g, [0.3, 0.3], [0.7, 0.4]) + fillBox(boxes, g, [0.3, 0.4], [0.4, 0.7]);
    const s = base(2);
    const L = [[0, 0], [4, 0], [4, 1], [1, 1], [1, 4], [0, 4]];
    expect(fillMesh(s, addGroup(s, jelly), { vertices: L }, { center: [0.5, 0.5], size: 0.4 })).toBe(n);
    expect(() => fillMesh(s, 0, { vertices: [[0, 0], [1, 1]] }, { center: [0.5, 0.5], size: 0.4 })).toThrow(/2 vertices: a closed polygon needs at least 3/);
    expect(() => fillMesh(base(3), 0, cube(false), { center: [0.5, 0.5, 0.5], size: 0.2 })).toThrow(/group 0 does not exist/);
    const c = base(3);
    const j = addGroup(c, jelly);
    expect(() => fillMesh(c, j, { ...cube(false), faces: [[0, 1, 9]] }, { center: [0.5, 0.5, 0.5], size: 0.2 })).toThrow(/face 0 names vertex 9, but there are 8 vertices/);
    expect(() => fillMesh(c, j, cube(false), { center: [0.5, 0.5], size: 0.2 })).toThrow(/center = \[0.5, 0.5\]: expected 3 finite coordinates/);
    expect(() => fillMesh(c, j, cube(false), { center: [0.5, 0.5, 0.5], size: NaN })).toThrow(/size = NaN/);
  });
});

describe('finalizeScene', () => {
  it('sorts particles stably by group, moving x, v and vol with them', () => {
    const s = base(2);
    const a = addGroup(s, jelly), b = addGroup(s, { ...jelly, name: 'k' });
    fillBox(s, b, [0.2, 0.2], [0.25, 0.25], { velocity: [1, 1] });
    fillBox(s, a, [0.5, 0.5], [0.55, 0.55], { velocity: [2, 2] });
    fillBox(s, b, [0.7, 0.7], [0.75, 0.75], { velocity: [3, 3] });
    const before = structuredClone(s.particles);
    const n = before.group.length;
    const idx = [...Array(n).keys()];
    const order = [...idx.filter((p) => before.group[p] === a), ...idx.filter((p) => before.group[p] === b)];
    finalizeScene(s);
    expect(s.particles.group).toEqual(order.map((p) => before.group[p]));
    expect(s.particles.x).toEqual(order.flatMap((p) => before.x.slice(2 * p, 2 * p + 2)));
    expect(s.particles.v).toEqual(order.flatMap((p) => before.v.slice(2 * p, 2 * p + 2)));
    expect(s.particles.vol).toEqual(order.map((p) => before.vol[p]));
    expect(validateScene(s)).toBe(s);
  });

  it('refuses a particle whose group does not exist', () => {
    const s = base(2);
    fillBox(s, addGroup(s, jelly), [0.2, 0.2], [0.25, 0.25]);
    s.particles.group[0] = 5;
    expect(() => finalizeScene(s)).toThrow(/group 5 does not exist/);
  });
});

describe('colliders and actuation', () => {
  it('addCollider names unnamed colliders and copies its input', () => {
    const s = base(2);
    const position = [[0.5, 0.5]];
    const k = addCollider(s, { shape: 'sphere', radius: 0.1, friction: 0, position, velocity: [[0, 0]] });
    position[0][0] = 9;
    expect(k).toBe(0);
    expect(s.colliders[0].name).toBe('sphere0');
    expect(s.colliders[0].position).toEqual([[0.5, 0.5]]);
  });

  it('linearTrack is start + t dt v, one row per step', () => {
    expect(linearTrack([1, 2], [10, -20], 3, 0.1)).toEqual([[1, 2], [2, 0], [3, -2]]);
    expect(() => linearTrack([1, 2], [10, -20, 5], 3, 0.1)).toThrow('linearTrack: start has 2 coordinates and velocity 3: expected one per axis each');
    expect(() => linearTrack([1, 2], [10, -20], 0, 0.1)).toThrow('linearTrack: steps = 0: expected an integer >= 1');
  });

  it('setActuation flattens rows and refuses partial rows', () => {
    const s = base(2);
    setActuation(s, 2, [[1, 2], [3, 4]]);
    expect(s.actuation).toEqual({ channels: 2, values: [1, 2, 3, 4] });
    setActuation(s, 2, [5, 6]);
    expect(s.actuation).toEqual({ channels: 2, values: [5, 6] });
    expect(() => setActuation(s, 2, [1, 2, 3])).toThrow(/3 values is not a whole number of rows of 2 channels/);
    expect(() => setActuation(s, 0, [])).toThrow('setActuation: channels = 0: expected an integer >= 1');
  });
});

describe('turning tracks', () => {
  it('2D adds dt omega to the angle per row; 3D turns about omega after the start, as rotation() reads it', () => {
    expect(turningTrack([0.5], [2], 3, 0.1)).toEqual([[0.5], [0.7], [0.9]]);
    const start = axisAngle([1, 0, 0], 0.3);
    const track = turningTrack(start, [0, 0, 4], 3, 0.05);
    const Rz = (a: number) => Float64Array.of(Math.cos(a), Math.sin(a), 0, -Math.sin(a), Math.cos(a), 0, 0, 0, 1);
    track.forEach((q, t) => {
      const want = mul(Rz(t * 0.05 * 4), rotation(3, start));
      rotation(3, q).forEach((x, i) => expect(x).toBeCloseTo(want[i], 12));
    });
    // quatMul composes as the matrices do: R(a b) = R(a) R(b)
    const a = axisAngle([0.6, 0, 0.8], 1.1), b = axisAngle([0, 1, 0], -0.4);
    const ab = mul(rotation(3, a), rotation(3, b));
    rotation(3, quatMul(a, b)).forEach((x, i) => expect(x).toBeCloseTo(ab[i], 12));
  });

  it('axisAngle turns by its angle whatever the axis length ([0, 0, 2] and 1 rad turned by 1.48 rad), and refuses a zero axis', () => {
    const Rz = (a: number) => Float64Array.of(Math.cos(a), Math.sin(a), 0, -Math.sin(a), Math.cos(a), 0, 0, 0, 1);
    const want = Rz(1);
    rotation(3, axisAngle([0, 0, 2], 1)).forEach((x, i) => expect(x).toBeCloseTo(want[i], 12));
    expect(Math.hypot(...axisAngle([0, 0, 2], 1))).toBeCloseTo(1, 14);
    expect(() => axisAngle([0, 0, 0], 1)).toThrow('axisAngle: axis = [0, 0, 0]: expected 3 finite coordinates, not all zero');
    expect(() => axisAngle([1, 0], 1)).toThrow('axisAngle: axis = [1, 0]');
  });
});

describe('fills too large for a scene', () => {
  it('are refused before the lattice is walked (a box of 1e6 x 1e6 hung the host program)', { timeout: 5000 }, () => {
    const s = base(2);
    const g = addGroup(s, jelly);
    expect(() => fillBox(s, g, [0, 0], [1e6, 1e6])).toThrow(/^fill: \[0, 0\] to \[1000000, 1000000\] at ppc 2 spans 4\.096e\+15 lattice points: allowed at most 8000000 \(twice the 4000000 particles a scene may have\)/);
    expect(() => fillSphere(s, g, [0.5, 0.5], 1e4)).toThrow(/^fill: .* lattice points: allowed at most 8000000/);
    expect(s.particles.x).toEqual([]);
    // a large fill that fits goes through
    expect(fillBox(s, g, [0.1, 0.1], [0.9, 0.9], { ppc: 4 })).toBe(Math.round(0.8 * 32 * 4) ** 2);
  });
});

describe('fill arguments', () => {
  it('that would place no particle or misplace them are refused by name', () => {
    const s = base(2);
    const g = addGroup(s, jelly);
    // each of these returned 0 (or jittered particles out of their cells) without a word
    expect(() => fillBox(s, g, [NaN, 0.5], [0.3, 0.6])).toThrow('fill: lo = [NaN, 0.5]: expected 2 finite coordinates');
    expect(() => fillBox(s, g, [0.5, 0.5], [0.3, 0.6])).toThrow('fill: hi = [0.3, 0.6] is not above lo = [0.5, 0.5] on axis 0: expected hi > lo on every axis');
    expect(() => fillSphere(s, g, [0.5, 0.5], -0.1)).toThrow('fill: radius = -0.1: expected a finite radius > 0');
    expect(() => fillSphere(s, g, [0.5, Infinity], 0.1)).toThrow('fill: center = [0.5, Infinity]: expected 2 finite coordinates');
    expect(() => fillBox(s, g, [0.3, 0.3], [0.4, 0.4], { jitter: 5 })).toThrow('fill: jitter = 5: expected a fraction of the lattice spacing in [0, 1]');
    expect(() => fillBox(s, g, [0.3, 0.3], [0.4, 0.4], { velocity: [1, NaN] })).toThrow('fill: velocity = [1, NaN]: expected 2 finite components');
    expect(s.particles.x).toEqual([]);
  });
});
