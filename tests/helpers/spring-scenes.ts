// Small spring and shell scenes for the tests, built by hand (no builders) so they pin the format:
// a 2D chain robot on soft ground with actuation and a sphere; a 3D cloth patch with membrane,
// bending, a pin, a gripper, a box collider, the ground and self-contact; a plastic 3D strip.
import type { SpringScene } from '../../src/springs/scene';
import { mulberry32 } from '../../src/core/rng';

export function chain2d(o: { steps?: number; softness?: number } = {}): SpringScene {
  const r = mulberry32(11);
  const n = 6;
  const x: number[] = [], v: number[] = [];
  for (let i = 0; i < n; i++) {
    x.push(0.2 + 0.08 * (i >> 1) + 0.01 * r(), 0.06 + 0.07 * (i & 1) + 0.01 * r());
    v.push(0.3 * (r() - 0.5), 0.3 * (r() - 0.5) - 0.5);
  }
  const pairs: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (Math.abs((i >> 1) - (j >> 1)) <= 1) pairs.push(i, j);
  const S = pairs.length / 2;
  const T = o.steps ?? 60;
  return {
    kind: 'springs', name: 'test-chain-2d', dim: 2, dt: 0.002, steps: T, gravity: [0, -9.8], damping: 0.5, extent: [1, 1],
    materials: [{ name: 'a', stiffness: 300, damping: 0.4 }, { name: 'b', stiffness: 150, damping: 0.1 }],
    vertices: { x, v, mass: Array.from({ length: n }, () => 0.05 + 0.02 * r()) },
    springs: { pairs, material: Array.from({ length: S }, (_, k) => k % 2), actuator: Array.from({ length: S }, (_, k) => (k % 3 === 0 ? k % 2 : -1)), actuationStrength: 0.3 },
    actuation: { channels: 2, values: Array.from({ length: T * 2 }, (_, k) => 0.5 * Math.sin(k / 7 + (k % 2))) },
    ground: { height: 0.05, friction: 0.6, softness: o.softness ?? 0.002 },
    colliders: [{ name: 'ball', shape: 'sphere', radius: 0.05, friction: 0.3, position: [[0.41, 0.1]], velocity: [[-0.2, 0]] }],
    colliderSoftness: 0.002,
  };
}

/** An (nx+1) x (ny+1) cloth patch in the xz plane at height y0. */
export function clothPatch(o: { nx?: number; ny?: number; steps?: number; plastic?: boolean; selfContact?: boolean } = {}): SpringScene {
  const nx = o.nx ?? 4, ny = o.ny ?? 4, size = 0.4, r = mulberry32(5);
  const x: number[] = [], v: number[] = [], mass: number[] = [];
  const id = (i: number, j: number) => j * (nx + 1) + i;
  for (let j = 0; j <= ny; j++) for (let i = 0; i <= nx; i++) {
    x.push(0.3 + (size * i) / nx + 0.004 * r(), 0.3 + 0.02 * Math.sin(i + j) + 0.004 * r(), 0.3 + (size * j) / ny + 0.004 * r());
    v.push(0.2 * (r() - 0.5), 0.2 * (r() - 0.5), 0.2 * (r() - 0.5));
    mass.push(0.01 + 0.002 * r());
  }
  const tris: number[] = [];
  for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
    const a = id(i, j), b = id(i + 1, j), c = id(i + 1, j + 1), d = id(i, j + 1);
    if ((i + j) % 2) tris.push(a, c, b, a, d, c); else tris.push(a, d, b, b, d, c);
  }
  const T = o.steps ?? 30;
  const spacing = size / Math.max(nx, ny);
  return {
    kind: 'shell', name: 'test-cloth-3d', dim: 3, dt: 0.002, steps: T, gravity: [0, -9.8, 0], damping: 0.2, extent: [1, 1, 1],
    materials: [{ name: 'cloth', stiffness: 1, damping: 0, mu: 40, lambda: 20, bending: o.plastic ? 0.05 : 0.01, ...(o.plastic ? { plastic: { yieldAngle: 0.02 } } : {}) }],
    vertices: { x, v, mass },
    triangles: { indices: tris, material: tris.filter((_, k) => k % 3 === 0).map(() => 0) },
    pinned: [id(0, 0)],
    grippers: [{ name: 'hand', vertices: [id(nx, ny)], position: Array.from({ length: T }, (_, t) => [x[3 * id(nx, ny)] - 0.001 * t, x[3 * id(nx, ny) + 1] + 0.002 * t, x[3 * id(nx, ny) + 2]]) }],
    ground: { height: 0.28, friction: 0.4, softness: 0.003 },
    colliders: [{ name: 'block', shape: 'box', halfExtents: [0.05, 0.05, 0.05], radius: 0.01, friction: 0.2, position: [[0.5, 0.24, 0.5]], velocity: [[0, 0.3, 0]], orientation: [[0, 0.2, 0, 1]] }],
    colliderSoftness: 0.003,
    ...(o.selfContact ? { selfContact: { thickness: 0.8 * spacing, stiffness: 50 } } : {}),
  };
}

/** The scene's collider made a box that turns along its orientation track and spins (angular velocity). */
export function turningCollider(s: SpringScene): SpringScene {
  const c = s.colliders![0], d = s.dim, rows = s.steps;
  const angle = (t: number) => 0.4 + 0.03 * t;
  return {
    ...s,
    name: `${s.name}-turning`,
    colliders: [{
      ...c, shape: 'box', halfExtents: d === 2 ? [0.05, 0.02] : [0.05, 0.05, 0.05], radius: 0.01,
      orientation: Array.from({ length: rows }, (_, t) => (d === 2 ? [angle(t)] : [0, Math.sin(angle(t) / 2), 0.1, Math.cos(angle(t) / 2)])),
      angularVelocity: [d === 2 ? [3] : [0.5, 3, 0]],
    }],
  };
}
