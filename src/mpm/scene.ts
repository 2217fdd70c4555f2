// The scene as plain data (JSON-serialisable): what a scene module builds, what `torsion export`
// writes and `--scene-file` reads. Units are SI-like but arbitrary: positions in domain units,
// time in seconds, E in pressure units, density in mass per volume (DIM-dimensional).

export type Dim = 2 | 3;
export type MaterialKind = 'fluid' | 'elastic' | 'elastoplastic';
/** sticky: velocity zeroed at the walls; slip: its normal component removed; separate: only motion into the wall removed. */
export type WallKind = 'sticky' | 'slip' | 'separate';
export type ColliderShape = 'box' | 'sphere' | 'capsule';

/** A material group: every particle of it shares these parameters. */
export interface GroupDesc {
  /** A name for people (messages, the viewer). */
  name: string;
  /** Constitutive model: a weakly compressible fluid, a fixed-corotated elastic solid, or that solid with plastic flow. */
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
  plastic?: {
    /** Compression limit, in (0, 1): singular values stay >= 1 - thetaC. */
    thetaC: number;
    /** Stretch limit, in (0, 1): singular values stay <= 1 + thetaS. */
    thetaS: number;
  };
  /** Active stress a(t) * strength * (F f)(F f)^T along unit fiber f; a(t) from `channel`. */
  actuator?: {
    /** Index of the actuation channel that drives it (< actuation.channels). */
    channel: number;
    /** Stress per unit activation (pressure units); not differentiable (the actuation a(t) is). */
    strength: number;
    /** Fiber direction in the rest shape, one entry per axis, not zero (its length scales the stress: use a unit vector). */
    fiber: number[];
  };
}

/** A kinematic body the material collides with; its motion is given per step. */
export interface ColliderDesc {
  /** A name for people (messages, the viewer). */
  name: string;
  /** Rounded box, sphere, or capsule (a segment swept by a sphere). */
  shape: ColliderShape;
  /** Box half extents; capsule: the segment half extent along one axis (others 0). */
  halfExtents?: number[];
  /** Sphere and capsule radius; box corner rounding. */
  radius?: number;
  /** Coulomb friction with the material (>= 0). */
  friction: number;
  /** Per-step position [T][DIM] (one row: fixed; fewer rows than steps: the last is held); differentiable. */
  position: number[][];
  /** Per-step velocity [T][DIM] (one row, or the last of fewer than steps: held); differentiable. Keep it consistent with the position track. */
  velocity: number[][];
  /**
   * Per-step orientation (one row, or the last of fewer than steps: held; absent: the identity), turning the shape's own frame
   * into the world's: [angle] in radians in 2D, a quaternion [x, y, z, w] in 3D (any non-zero one:
   * it is normalised). Differentiable.
   */
  orientation?: number[][];
  /**
   * Per-step angular velocity (absent: zero; the last row held, as other tracks): [omega] in 2D (counter-clockwise, rad/s), [wx, wy, wz]
   * in 3D; the body moves at velocity + omega x (x - position). Differentiable. Like velocity, it is
   * its own track: keep it consistent with the orientation track if both describe one motion.
   */
  angularVelocity?: number[][];
}

/** The material points, all arrays in particle order; each group's particles form one contiguous run. */
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
import type { PeriodicActuation } from '../core/periodic';
import type { ControllerSpec } from '../control/controller';

/** A Torsion MLS-MPM scene. */
export interface MpmScene {
  /** A name for people (messages, the viewer). */
  name: string;
  /** What the scene shows, in a sentence or two. */
  description?: string;
  /** Number of spatial dimensions: every per-axis vector has this many entries. */
  dim: Dim;
  /** The background grid: nodes per axis (res) and their spacing dx; the domain is [0, res dx] per axis. */
  grid: {
    /** Nodes per axis, each in [8, 512]. */
    res: number[];
    /** Node spacing in domain units. */
    dx: number;
  };
  /** Time step in seconds (at most the CFL limit of the stiffest group). */
  dt: number;
  /** Default rollout length. */
  steps: number;
  /** Gravity acceleration, one component per axis (axis 1 points up). */
  gravity: number[];
  /** The domain walls and the floor. */
  boundary: {
    /** What the domain walls do to the material's velocity. */
    walls: WallKind;
    /** Coulomb friction of the floor (axis 1, low side), >= 0; absent: the floor is a wall like the others. */
    groundFriction?: number;
    /** Wall thickness in cells (default 3). */
    boundCells?: number;
  };
  /** Material groups; particles.group indexes into this list. */
  groups: GroupDesc[];
  /** The material points. */
  particles: ParticlesDesc;
  /** Kinematic colliders (at most 4). */
  colliders: ColliderDesc[];
  /** Actuation a[t][channel], flattened [T * channels]; T rows (last row held after; no rows: zero at every step, as a controller's scene may leave them). */
  actuation?: {
    /** Number of channels, in [1, 64]. */
    channels: number;
    /** Activations a[t][channel], row by row (or `periodic`, not both). */
    values?: number[];
    /** A periodic gait in place of `values`: tanh of a bias and harmonics per channel, rows for the scene's steps (src/core/periodic.ts; a tuned 'actuation.periodic' is saved so). */
    periodic?: PeriodicActuation;
  };
  /** The loss `torsion optimize` minimises. */
  loss?: LossDesc;
  /** What `torsion optimize` tunes by default. */
  optimize?: OptimizeDesc;
  /** What `torsion mpc` does: re-plan the actuation every few steps to chase a moving goal. */
  mpc?: MpcDesc;
  /** A closed-loop MLP controller that sets every actuation channel each step from the state (src/control/controller.ts); its weights are the parameter block 'controller'. */
  controller?: ControllerSpec;
  /**
   * Steps between re-sorts of the particles by grid cell on the GPU (docs/design.md, "Particle
   * order"), an integer >= 0; absent or 0: never. What a user sees stays in the scene's order and
   * the results agree with an unsorted run to float32 rounding; it speeds up mixing 3D scenes
   * (docs/performance.md). `torsion run`, `optimize` and `gradcheck` honour it (`--sort-every K`
   * overrides it); the browser viewer and `torsion mpc` ignore it.
   */
  sortEvery?: number;
  /** The kind of scene; absent means 'mpm' (files written before kinds existed have none). */
  kind?: 'mpm';
  /** Where an editor finds the JSON Schema of this format (schemas/scene.schema.json); ignored by Torsion. */
  $schema?: string;
}

/**
 * What `torsion optimize` tunes: parameter names (src/opt/parameters.ts: 'initialVelocity', or a
 * block of the parameter space such as 'groups[0].E', 'actuation', 'colliders[0].velocity'), with
 * Adam's learning rate and an iteration count.
 */
export interface OptimizeDesc {
  /** Parameter names: 'initialVelocity', 'groups[k].E', 'groups[k].nu', 'actuation', 'actuation.periodic', 'colliders[k].position' (.velocity, .orientation, .angularVelocity), 'colliders[k].waypoints'; a shell's 'grippers[k].position', 'grippers[k].waypoints'. */
  params?: string[];
  /** The older single-name form: the parameter tuned. */
  param?: 'initialVelocity';
  /** The step size (> 0): of Adam and gradient descent, and of the Adam step SPSA takes; absent: 0.1 (cem takes none). */
  learningRate?: number;
  /** Number of iterations. */
  iterations: number;
  /** The optimizer `torsion optimize` uses by default (src/opt/optimizers.ts); absent: adam. */
  optimizer?: 'adam' | 'gd' | 'cem' | 'spsa' | 'hybrid';
  /** Points per iteration of cem, spsa and hybrid's sampling, evaluated as batch copies. */
  population?: number;
  /** cem's initial spread and spsa's perturbation, in the optimizer's units (a material parameter's are fractions of its value). */
  sigma?: number;
  /** Gradients longer than this are scaled down to it. */
  clip?: number;
  /** adam, gd: step along the gradient's direction, scaled to unit length (not with clip). */
  normalize?: boolean;
  /** The task is solved when the best loss is at or below this (`success` in summary.json). */
  threshold?: number;
  /** 'actuation.periodic': steps per period (default a quarter of the scene's steps, its actuation rows, whatever --steps). */
  period?: number;
  /** 'actuation.periodic': sine and cosine pairs per channel (default 2). */
  harmonics?: number;
  /** '<body>.waypoints' ('colliders[k]', 'grippers[k]'): knots of the track's offset after its fixed start (default 4). */
  waypoints?: number;
  /** '<body>.waypoints': the box the knots stay in (default: the domain, 0 to its extent). */
  trackBounds?: TrackBounds;
  /** hybrid: the gradient method that refines the sampled basin (default adam). */
  refine?: 'adam' | 'gd';
  /** adam, gd: iterations in a row without a better loss before restarting from the best point at half the rate (default 1). */
  patience?: number;
  /**
   * A controller trained on several goals: 'listed' (default) commands the copies the listed goals for
   * every gradient; 'stratified' draws them afresh each iteration over the listed goals' range
   * (src/opt/goal-draw.ts), the loss recorded still at the listed goals.
   */
  goals?: 'listed' | 'stratified';
}

/** An axis-aligned box for a body's track. */
export interface TrackBounds {
  /** Its lowest corner, one coordinate per axis. */
  min: number[];
  /** Its highest corner, one coordinate per axis. */
  max: number[];
}

/**
 * Model-predictive control (`torsion mpc`, src/opt/mpc.ts): every `every` steps, `iterations` Adam
 * steps re-plan the actuation of the next `horizon` steps towards where the goal will be.
 */
export interface MpcDesc {
  /** Steps each plan covers. */
  horizon: number;
  /** Steps run between re-plans (at most the horizon). */
  every: number;
  /** Adam iterations per re-plan (the first, cold plan gets four times as many). */
  iterations: number;
  /** Adam's step size (> 0). */
  learningRate: number;
  /** Waypoints [step, x, y(, z)] of the goal, linear in between, held after the last. */
  goal: number[][];
  /** The axes the chase is judged on and the plans aim along (default all; [0] for a walker chasing along the ground). */
  axes?: number[];
  /** Solved when the centre of mass the plans steer (an MPM scene's group 0, every vertex of a spring scene) stays within this distance of the goal after `warmup` steps. */
  tolerance: number;
  /** Steps before the distance is judged (the robot gets going). */
  warmup: number;
  /** Gradients longer than this are scaled down to it (default 1). */
  clip?: number;
  /** Plan a periodic gait of this many steps per period (tanh of a bias and harmonics per channel) instead of every step's actuation. */
  period?: number;
  /** Sine and cosine pairs per channel of that gait (default 1). */
  harmonics?: number;
}

/** The parameter names of an optimize record (either form). */
export function optimizeParams(o: OptimizeDesc | undefined): string[] {
  return o?.params ?? [o?.param ?? 'initialVelocity'];
}
