// Small scenes for GPU tests, sized for two CPU cores running lavapipe.
import type { MaterialKind, MpmScene } from '../../src/mpm/scene';
import { mulberry32 as rng } from '../../src/core/rng';

export interface TinyOptions {
  dim: 2 | 3;
  material: MaterialKind;
  res?: number;
  /** Block [lo, hi]^dim (or per axis), particles on a lattice of spacing dx / 2 (2^dim per cell). */
  lo?: number | number[];
  hi?: number | number[];
  velocity?: number[];
  gravity?: boolean;
  seed?: number;
  actuated?: boolean;
  collider?: boolean;
  /** false: particles at the lattice cell centres and exactly `velocity` (default: seeded jitter of both). */
  jitter?: boolean;
  /** Young's modulus of the body group (default 60). */
  E?: number;
  /** Density of every group (default 1). */
  density?: number;
  dt?: number;
  /** Ground friction (default 0.4); null: the ground is a plain wall. */
  groundFriction?: number | null;
  /** Wall thickness in cells (default: the simulator's, 3). */
  boundCells?: number;
}


export function tinyScene(o: TinyOptions): MpmScene {
  const dim = o.dim;
  const res = Array(dim).fill(o.res ?? (dim === 2 ? 32 : 16));
  const dx = 1 / res[0];
  const axis = (a: number | number[] | undefined, dflt: number) => Array.from({ length: dim }, (_, i) => (Array.isArray(a) ? a[i] : a ?? dflt));
  const lo = axis(o.lo, 0.3), hi = axis(o.hi, 0.5), h = dx / 2;
  const rand = rng(o.seed ?? 1);
  const jitter = o.jitter ?? true;
  const x: number[] = [], v: number[] = [], group: number[] = [], vol: number[] = [];
  const n1 = lo.map((l, i) => Math.round((hi[i] - l) / h));
  const total = n1.reduce((a, b) => a * b, 1);
  const vel = o.velocity ?? Array(dim).fill(0).map((_, i) => (i === 0 ? 0.3 : 0.1));
  for (let k = 0; k < total; k++) {
    let r = k;
    for (let i = 0; i < dim; i++) {
      // jitter keeps particles off the B-spline kinks, where finite differences are meaningless
      x.push(lo[i] + ((r % n1[i]) + (jitter ? 0.25 + 0.5 * rand() : 0.5)) * h);
      r = Math.floor(r / n1[i]);
      v.push(vel[i] + (jitter ? 0.05 * (rand() - 0.5) : 0));
    }
    group.push(o.actuated && x[x.length - dim] > (lo[0] + hi[0]) / 2 ? 1 : 0);
    vol.push(h ** dim);
  }
  const density = o.density ?? 1;
  const groups: MpmScene['groups'] = [{ name: 'body', material: o.material, E: o.E ?? 60, nu: 0.3, density, viscosity: o.material === 'fluid' ? 0.01 : 0,
    plastic: { thetaC: 0.02, thetaS: 0.005 } }];
  if (o.actuated) {
    groups.push({ name: 'muscle', material: o.material, E: 80, nu: 0.25, density,
      plastic: { thetaC: 0.02, thetaS: 0.005 },
      actuator: { channel: 0, strength: 20, fiber: dim === 2 ? [0.6, 0.8] : [0.6, 0.8, 0] } });
  }
  // particles contiguous by group
  const order = group.map((g, i) => [g, i]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((a) => a[1]);
  const pick = (arr: number[], w: number) => order.flatMap((i) => arr.slice(i * w, i * w + w));
  const scene: MpmScene = {
    name: `tiny-${dim}d-${o.material}`, dim, grid: { res, dx }, dt: o.dt ?? 1e-3, steps: 20,
    gravity: o.gravity === false ? Array(dim).fill(0) : dim === 2 ? [0, -9.8] : [0, -9.8, 0],
    boundary: { walls: 'separate' },
    groups,
    particles: { x: pick(x, dim), v: pick(v, dim), group: pick(group, 1), vol: pick(vol, 1) },
    colliders: [],
  };
  if (o.groundFriction !== null) scene.boundary.groundFriction = o.groundFriction ?? 0.4;
  if (o.boundCells !== undefined) scene.boundary.boundCells = o.boundCells;
  if (o.actuated) {
    const T = 40;
    scene.actuation = { channels: 1, values: Array.from({ length: T }, (_, t) => Math.sin(t * 0.3) * 0.5) };
  }
  if (o.collider) {
    const c0 = dim === 2 ? [0.4, 0.62] : [0.4, 0.62, 0.4];
    const u = dim === 2 ? [0.05, -0.8] : [0.05, -0.8, 0];
    const T = 40;
    // A tilted paddle that also turns (about an oblique axis in 3D), so that every test with a
    // collider covers orientation and angular velocity.
    const w = 0.5;
    const angle = (t: number) => 0.3 + w * t * 1e-3;
    const axis = [0.36, 0.48, 0.8]; // unit
    scene.colliders.push({ name: 'paddle', shape: 'box', halfExtents: dim === 2 ? [0.08, 0.03] : [0.08, 0.03, 0.08], radius: 0.01, friction: 0.3,
      position: Array.from({ length: T }, (_, t) => c0.map((c, i) => c + u[i] * t * 1e-3)), velocity: [u],
      orientation: Array.from({ length: T }, (_, t) => (dim === 2 ? [angle(t)]
        : [...axis.map((a) => a * Math.sin(angle(t) / 2)), Math.cos(angle(t) / 2)])),
      angularVelocity: [dim === 2 ? [w] : axis.map((a) => a * w)] });
  }
  return scene;
}
