// The scene as plain data (JSON-serialisable): what a scene module builds, what `torsion export`
// writes and `--scene-file` reads. Units are SI-like but arbitrary: positions in domain units,
// time in seconds, E in pressure units, density in mass per volume (DIM-dimensional).

export type Dim = 2 | 3;
export type MaterialKind = 'fluid' | 'elastic' | 'elastoplastic';
export type WallKind = 'sticky' | 'slip' | 'separate';
export type ColliderShape = 'box' | 'sphere' | 'capsule';

export interface GroupDesc {
  name: string;
  material: MaterialKind;
  /** Young's modulus (> 0); differentiable. */
  E: number;
  /** Poisson ratio in (0, 0.5); differentiable. */
  nu: number;
  /** Density (> 0); particle mass = density * particle volume. */
  density: number;
  /** Dynamic viscosity for fluids (>= 0). */
  viscosity?: number;
  /** Singular-value clamp of elastoplastic groups: sigma in [1 - thetaC, 1 + thetaS]. */
  plastic?: { thetaC: number; thetaS: number };
  /** Active stress a(t) * strength * (F f)(F f)^T along unit fiber f; a(t) from `channel`. */
  actuator?: { channel: number; strength: number; fiber: number[] };
}

export interface ColliderDesc {
  name: string;
  shape: ColliderShape;
  /** Box half extents; capsule: the segment half extent along one axis (others 0). */
  halfExtents?: number[];
  /** Sphere and capsule radius; box corner rounding. */
  radius?: number;
  /** Coulomb friction with the material (>= 0). */
  friction: number;
  /** Per-step position [T][DIM] (or one row: fixed) and velocity [T][DIM]; differentiable. */
  position: number[][];
  velocity: number[][];
  /**
   * Per-step orientation (or one row: fixed; absent: the identity), turning the shape's own frame
   * into the world's: [angle] in radians in 2D, a quaternion [x, y, z, w] in 3D (any non-zero one:
   * it is normalised). Differentiable.
   */
  orientation?: number[][];
  /**
   * Per-step angular velocity (absent: zero): [omega] in 2D (counter-clockwise, rad/s), [wx, wy, wz]
   * in 3D; the body moves at velocity + omega x (x - position). Differentiable. Like velocity, it is
   * its own track: keep it consistent with the orientation track if both describe one motion.
   */
  angularVelocity?: number[][];
}

export interface ParticlesDesc {
  /** [N * DIM] positions. */
  x: number[];
  /** [N * DIM] velocities. */
  v: number[];
  /** [N] group index per particle. */
  group: number[];
  /** [N] particle volume (cell volume / particles per cell). */
  vol: number[];
}

export type { LossDesc } from '../core/loss';
import type { LossDesc } from '../core/loss';

export interface MpmScene {
  /** The simulator family; a scene without it is an MPM scene. */
  kind?: 'mpm';
  name: string;
  description?: string;
  dim: Dim;
  grid: { res: number[]; dx: number };
  dt: number;
  /** Default rollout length. */
  steps: number;
  gravity: number[];
  boundary: { walls: WallKind; groundFriction?: number; boundCells?: number };
  groups: GroupDesc[];
  particles: ParticlesDesc;
  colliders: ColliderDesc[];
  /** Actuation a[t][channel], flattened [T * channels]; T rows (last row held after). */
  actuation?: { channels: number; values: number[] };
  loss?: LossDesc;
  /** What `torsion optimize` tunes by default. */
  optimize?: OptimizeDesc;
}

/**
 * What `torsion optimize` tunes: parameter names (src/opt/parameters.ts: 'initialVelocity', or a
 * block of the parameter space such as 'groups[0].E', 'actuation', 'colliders[0].velocity'), with
 * Adam's learning rate and an iteration count. `param` is the older single-name form.
 */
export interface OptimizeDesc {
  params?: string[];
  param?: 'initialVelocity';
  learningRate: number;
  iterations: number;
}

/** The parameter names of an optimize record (either form). */
export function optimizeParams(o: OptimizeDesc | undefined): string[] {
  return o?.params ?? [o?.param ?? 'initialVelocity'];
}
