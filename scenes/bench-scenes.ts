// The scenes `torsion bench mpm` measures (not registered: sizes are for throughput, not for looking at).
import type { MpmScene } from '../src/mpm/scene';
import type { SpringScene } from '../src/springs/scene';
import { addGroup, fillBox, gravity, sceneBase } from './builders';
import { clothGrid } from './spring-builders';
import { build as springRobot2d } from './spring-robot-2d';
import { checkDeviceLimits } from '../src/mpm/simulator';

export interface BenchCase {
  label: string;
  material: string;
  scene: MpmScene;
}

function plastic2d(name: string, res: number, lo: number[], hi: number[], dt = 1e-4): MpmScene {
  const s = sceneBase({ name, dim: 2, res: [res, res], dt, steps: 1000, gravity: gravity(2),
    boundary: { walls: 'separate', groundFriction: 0.5 } });
  const g = addGroup(s, { name: 'plasticine', material: 'elastoplastic', E: 3e3, nu: 0.3, density: 1, plastic: { thetaC: 0.025, thetaS: 0.0045 } });
  fillBox(s, g, lo, hi, { velocity: [0.5, -0.5] });
  return s;
}

export function benchCases(): BenchCase[] {
  // 2D: 128^2 grid (dx = 1/128), 4 particles per cell
  const small = plastic2d('bench-2d-3k', 128, [0.3, 0.3], [0.3 + 27 / 128, 0.3 + 27 / 128]); // 27^2 cells * 4 = 2,916
  const large = plastic2d('bench-2d-24k', 128, [0.1, 0.1], [0.1 + 78 / 128, 0.1 + 78 / 128]); // 78^2 * 4 = 24,336
  // 3D fluid: 40 x 30 x 60 cells, a 26 x 14 x 24-cell block with 8 particles per cell = 69,888
  const fluid = sceneBase({ name: 'bench-3d-fluid-70k', dim: 3, res: [40, 30, 60], dx: 1 / 40, dt: 5e-4, steps: 1000,
    gravity: gravity(3), boundary: { walls: 'separate' } });
  const w = addGroup(fluid, { name: 'water', material: 'fluid', E: 60, nu: 0.4, density: 1, viscosity: 0 });
  const d3 = 1 / 40;
  fillBox(fluid, w, [3 * d3, 3 * d3, 3 * d3], [29 * d3, 17 * d3, 27 * d3]);
  // 3D elastic: 64^3 grid, a 16^3-cell block (8 per cell) = 32,768
  const elastic = sceneBase({ name: 'bench-3d-elastic-32k', dim: 3, res: [64, 64, 64], dt: 2e-4, steps: 1000,
    gravity: gravity(3), boundary: { walls: 'separate', groundFriction: 0.5 } });
  const e = addGroup(elastic, { name: 'jelly', material: 'elastic', E: 1e3, nu: 0.2, density: 1 });
  const d6 = 1 / 64;
  fillBox(elastic, e, [24 * d6, 20 * d6, 24 * d6], [40 * d6, 36 * d6, 40 * d6], { velocity: [0.5, -0.5, 0] });
  return [
    { label: '2D elastoplastic 3k', material: 'elastoplastic', scene: small },
    { label: '2D elastoplastic 24k', material: 'elastoplastic', scene: large },
    { label: '3D fluid 70k', material: 'fluid', scene: fluid },
    { label: '3D elastic 32k', material: 'elastic', scene: elastic },
  ];
}

/**
 * `torsion bench scale`: the 2D and 3D fluid rows of `bench mpm` grown to millions of particles, for
 * a GPU. Each is the largest of a few sizes whose buffers this device's limits hold (checkDeviceLimits:
 * lavapipe binds at most 128 MiB), dt shrunk with dx so that waves cross a cell as often.
 */
export interface ScaleSize {
  label: string;
  material: string;
  dim: 2 | 3;
  res: number[];
  /** Particles the scene will have. */
  n: number;
  build: () => MpmScene;
}

/** Each row's sizes, largest first. */
export function scaleSizes(): ScaleSize[][] {
  // 2D: a square block of 4 particles per cell, half the grid's side
  const plastic = [2048, 1536, 1024, 512].map((r): ScaleSize => ({
    label: '2D elastoplastic', material: 'elastoplastic', dim: 2, res: [r, r], n: r * r,
    build: () => plastic2d(`bench-2d-${r}`, r, [0.25, 0.25], [0.75, 0.75], 1e-4 * 128 / r),
  }));
  // 3D fluid: the 70k row's box k times finer (k x 40 x 30 x 60 cells, a k x 26 x 14 x 24-cell block, 8 per cell)
  const fluid = [4, 3, 2, 1].map((k): ScaleSize => ({
    label: '3D fluid', material: 'fluid', dim: 3, res: [40 * k, 30 * k, 60 * k], n: 26 * 14 * 24 * 8 * k ** 3,
    build: () => {
      const s = sceneBase({ name: `bench-3d-fluid-${k}`, dim: 3, res: [40 * k, 30 * k, 60 * k], dx: 1 / (40 * k), dt: 5e-4 / k, steps: 1000,
        gravity: gravity(3), boundary: { walls: 'separate' } });
      const w = addGroup(s, { name: 'water', material: 'fluid', E: 60, nu: 0.4, density: 1, viscosity: 0 });
      const d = 1 / (40 * k);
      fillBox(s, w, [3 * k * d, 3 * k * d, 3 * k * d], [29 * k * d, 17 * k * d, 27 * k * d]);
      return s;
    },
  }));
  return [plastic, fluid];
}

/** The largest size of each row whose buffers these limits hold (checked from its shape: the particles are made only for the one chosen). */
export function scaleChoice(limits: Record<string, number>): ScaleSize[] {
  return scaleSizes().map((sizes) => sizes.find(({ dim, res, n }) => {
    try { checkDeviceLimits({ dim, grid: { res }, particles: { group: { length: n } }, colliders: [] }, 1, limits); return true; } catch { return false; }
  }) ?? sizes[sizes.length - 1]);
}

export function scaleCases(limits: Record<string, number>): BenchCase[] {
  return scaleChoice(limits).map((c) => ({ label: `${c.label} ${(c.n / 1e6).toFixed(1)}M`, material: c.material, scene: c.build() }));
}

/** The scenes `torsion bench springs` measures: the 2D walker and square cloths with bending and self-contact. */
export interface SpringBenchCase {
  label: string;
  scene: SpringScene;
}

/**
 * An n x n cloth falling onto a sphere, bending and self-contact on (thickness 0.8 of the spacing).
 * dt shrinks past 128 quads a side: a vertex's mass falls as the spacing squared while the
 * membrane's and the contact's stiffness stay, and at 256 with dt = 2e-4 the explicit step
 * went unstable within 40 steps.
 */
export function benchCloth(n: number): SpringScene {
  const mesh = clothGrid({ nx: n, ny: n, size: [1, 1], origin: [0.1, 0.8, 0.1], plane: 'xz', density: 0.2 });
  return {
    kind: 'shell', name: `bench-cloth-${n}`, dim: 3, dt: 2e-4 * Math.min(1, 128 / n), steps: 1000, gravity: [0, -9.8, 0], damping: 0.5, extent: [1.2, 1, 1.2],
    materials: [{ name: 'cotton', stiffness: 1, damping: 0, mu: 20, lambda: 10, bending: 2e-5 }],
    vertices: mesh.vertices,
    triangles: mesh.triangles,
    ground: { height: 0.05, friction: 0.5, softness: 0.002 },
    colliders: [{ name: 'ball', shape: 'sphere', radius: 0.25, friction: 0.3, position: [[0.6, 0.4, 0.6]], velocity: [[0, 0, 0]] }],
    colliderSoftness: 0.002,
    selfContact: { thickness: 0.8 / n, stiffness: 20 },
  };
}

/**
 * The n x n bench cloth folded in half on the ground, its upper half resting on the lower at the gap
 * where the pair penalty holds its weight (a half-turn through the middle row), so that self-contact
 * pairs act at most steps: the benchCloth rows find none in the air, and their step adjoints skip
 * the contact grid (quiet steps).
 */
export function foldedBenchCloth(n: number): SpringScene {
  const s = benchCloth(n), thickness = s.selfContact!.thickness;
  const x = (s.vertices.x as number[]).slice();
  // the layers' gap where a vertex's weight (density 0.2 x spacing^2) meets its pair's penalty
  const sag = (0.2 * 9.8) / (n * n * s.selfContact!.stiffness);
  const r = (thickness - sag) / 2, bottom = s.ground!.height, z0 = 0.1;
  const start = 0.5 - (Math.PI * r) / 2, end = 0.5 + (Math.PI * r) / 2;
  for (let j = 0; j <= n; j++) {
    const u = j / n;
    const [y, z] = u <= start ? [bottom, z0 + u]
      : u < end ? [bottom + r * (1 - Math.cos((u - start) / r)), z0 + start + r * Math.sin((u - start) / r)]
      : [bottom + 2 * r, z0 + start - (u - end)];
    for (let i = 0; i <= n; i++) { x[3 * (j * (n + 1) + i) + 1] = y; x[3 * (j * (n + 1) + i) + 2] = z; }
  }
  return { ...s, name: `bench-cloth-${n}-folded`, vertices: { ...s.vertices, x } };
}

export function springBenchCases(): SpringBenchCase[] {
  return [
    { label: '2D spring robot', scene: { ...springRobot2d(), steps: 1000 } },
    { label: 'cloth 64x64', scene: benchCloth(64) },
    { label: 'cloth 64x64 folded', scene: foldedBenchCloth(64) },
    { label: 'cloth 128x128', scene: benchCloth(128) },
    { label: 'cloth 256x256', scene: benchCloth(256) },
  ];
}
