// A mass-spring or thin-shell scene as plain data (JSON-serialisable), the input of SpringSim.
// Point masses (vertices) joined by springs and, in 3D, by triangles (membrane stretch and shear)
// whose shared edges bend (hinges, derived from the triangles). Units as in MPM scenes: positions in
// domain units, time in seconds; stiffnesses are forces per unit strain, per unit length (membrane)
// or per radian of bend (bending).
import type { ColliderDesc, Dim, MpcDesc, OptimizeDesc } from '../mpm/scene';
import type { LossDesc } from '../core/loss';
import type { PeriodicActuation } from '../core/periodic';
import type { ControllerSpec } from '../control/controller';

/** Parameters shared by the springs, triangles and hinges that name this material. */
export interface SpringMaterial {
  /** A name for people. */
  name: string;
  /** Spring stiffness k (force per unit strain, > 0): f = k (l / L - 1) along the spring; differentiable. */
  stiffness: number;
  /** Spring dashpot c (>= 0): f = c (relative velocity along the spring); differentiable. */
  damping: number;
  /** Membrane Lame mu of the triangles (force per length, >= 0; StVK): resists stretch and shear; absent: 0 (no membrane: give mu or lambda to a shell's triangles); differentiable. */
  mu?: number;
  /** Membrane Lame lambda of the triangles (>= 0): resists change of area; absent: 0; differentiable. */
  lambda?: number;
  /** Bending stiffness of the hinges (>= 0): energy kb (3 |e|^2 / (A1 + A2)) (theta - theta_rest)^2 / 2; absent: 0 (no bending); differentiable. */
  bending?: number;
  /** Plastic bending: where |theta - theta_rest| exceeds yieldAngle (radians, in (0, 2 pi)) the rest angle follows (paper creases). */
  plastic?: {
    /** Bend beyond the rest angle (radians, in (0, 2 pi): a larger one is never reached) past which the rest angle follows. */
    yieldAngle: number;
  };
}

/** The point masses, all arrays in vertex order. */
export interface VerticesDesc {
  /** [N * DIM] positions. */
  x: number[];
  /** [N * DIM] velocities. */
  v: number[];
  /** [N] masses (> 0). */
  mass: number[];
}

/** Springs between vertex pairs. */
export interface SpringsDesc {
  /** [S * 2] vertex indices (i, j) per spring. */
  pairs: number[];
  /** [S] rest lengths (> 0); absent: the initial distances. */
  restLength?: number[];
  /** [S] material index per spring. */
  material: number[];
  /** [S] actuation channel per spring, -1 for none: the rest length becomes L (1 + strength a[t][channel]). */
  actuator?: number[];
  /** Rest-length change per unit activation (DiffTaichi's actuation strength; default 0.2). */
  actuationStrength?: number;
}

/** A triangle mesh (3D only): membrane elements, and hinges on every edge shared by two triangles. */
export interface TrianglesDesc {
  /** [T * 3] vertex indices, counter-clockwise seen from the front; each triangle once (in either winding). */
  indices: number[];
  /** [T] material index per triangle; a hinge takes its first triangle's material. */
  material: number[];
}

/** Vertices whose motion is prescribed: a gripper carries them rigidly along its position track. */
export interface GripperDesc {
  /** A name for people. */
  name: string;
  /** The vertices it holds (each in at most one gripper, not pinned). */
  vertices: number[];
  /** Per-step position of the gripper at the end of each step [T][DIM], at most steps rows (one row, or the last of fewer: held); differentiable. The held vertices keep their offsets from `origin`. */
  position: number[][];
  /**
   * The point the held vertices' offsets are measured from, one coordinate per axis (absent: row 0
   * of position). A tuned scene whose row 0 moved keeps the scene's row 0 here, so its vertices
   * are carried as in the tuned run.
   */
  origin?: number[];
}

/** Contact with the ground plane (axis 1 = up). */
export interface GroundDesc {
  /** Height of the plane. */
  height: number;
  /** Coulomb friction (>= 0). */
  friction: number;
  /**
   * Contact softness, a penetration depth (>= 0): 0 is a crisp projection onto the surface; above
   * 0 the push ramps up smoothly over that depth (gradients continuous through impacts, a surface
   * that gives a little). Nothing acts before contact.
   */
  softness: number;
}

/** A repulsion between vertices closer than `thickness` (cloth-cloth contact). */
export interface SelfContactDesc {
  /** Distance below which two vertices repel (> 0, at most the shortest rest edge). */
  thickness: number;
  /** Penalty stiffness (> 0): energy stiffness (thickness - r)^2 / 2 per pair. */
  stiffness: number;
  /**
   * Also repel a vertex from a triangle closer than the thickness (3D, scenes with triangles), r being
   * the distance to the triangle's closest point; pairs near in the mesh (a triangle of the vertex or of
   * one of its edge neighbours) are left out. Default false (it costs: docs/performance.md).
   */
  triangles?: boolean;
}

/** A Torsion mass-spring ('springs') or thin-shell ('shell') scene; both run on SpringSim. */
export interface SpringScene {
  /** The kind of scene: 'springs' (mass-spring systems) or 'shell' (cloth, paper); both run on SpringSim. */
  kind: 'springs' | 'shell';
  /** A name for people (messages, the viewer). */
  name: string;
  /** What the scene shows, in a sentence or two. */
  description?: string;
  /** Number of spatial dimensions (triangles need 3): every per-axis vector has this many entries. */
  dim: Dim;
  /** Time step in seconds. */
  dt: number;
  /** Default rollout length. */
  steps: number;
  /** Gravity acceleration, one component per axis (axis 1 points up). */
  gravity: number[];
  /** Velocity damping rate (1/s, >= 0): velocities shrink by exp(-damping dt) every step. */
  damping?: number;
  /** Axis-aligned extent the scene lives in (viewers fit their camera to it), one per axis. */
  extent: number[];
  /** Materials (at least one); springs.material and triangles.material index into this list. */
  materials: SpringMaterial[];
  vertices: VerticesDesc;
  springs?: SpringsDesc;
  triangles?: TrianglesDesc;
  /** Vertices held in place. */
  pinned?: number[];
  /** Kinematic grippers that carry vertices along position tracks. */
  grippers?: GripperDesc[];
  ground?: GroundDesc;
  /** Kinematic colliders (at most 4), as in MPM scenes: position, velocity, orientation and angular velocity tracks. */
  colliders?: ColliderDesc[];
  selfContact?: SelfContactDesc;
  /** Actuation a[t][channel], flattened [T * channels]; T rows (last row held after). */
  actuation?: {
    /** Number of channels, in [1, 64]. */
    channels: number;
    /** Activations a[t][channel], row by row (or `periodic`, not both). */
    values?: number[];
    /** A periodic gait in place of `values`: tanh of a bias and harmonics per channel, rows for the scene's steps (src/core/periodic.ts; a tuned 'actuation.periodic' is saved so). */
    periodic?: PeriodicActuation;
  };
  /** Contact softness and friction for colliders (the ground has its own); default 0. */
  colliderSoftness?: number;
  loss?: LossDesc;
  optimize?: OptimizeDesc;
  /** What `torsion mpc` does (src/opt/mpc.ts). */
  mpc?: MpcDesc;
  /** A closed-loop MLP controller that sets every actuation channel each step from the state (src/control/controller.ts); its weights are the parameter block 'controller'. */
  controller?: ControllerSpec;
  /** Where an editor finds the JSON Schema of this format (schemas/scene.schema.json); ignored by Torsion. */
  $schema?: string;
}
