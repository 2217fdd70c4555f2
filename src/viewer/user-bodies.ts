// What a person moves with the pointer, as scene data and as the per-step rows that drive it.
// A "finger" is a small kinematic sphere collider added to an MPM scene; a "hand" is a gripper added
// to a mass-spring or shell scene, holding the one vertex picked. Both are driven through the
// simulator's own track blocks (ParamSpace 'colliders[k].position' / '.velocity', 'grippers[g].position'):
// before each submission the TrackDriver writes the rows of the steps about to run with one
// writeParams (a queue.writeBuffer, no read-back). Rows past the horizon are shared by every later
// step, so there a frame's steps see one position: its end point.
import type { ParamBlock, Simulator } from '../core/simulator';
import type { ColliderDesc, MpmScene } from '../mpm/scene';
import type { SpringScene } from '../springs/scene';
import type { Scene } from '../simulators';
import { waveSpeed } from '../mpm/validate';
import { shortestEdge } from '../springs/fast-grippers';

export const FINGER = 'finger';
/** The pointer's gripper: not 'hand', which scenes' own grippers are called (cloth-lift-3d, paper-crease-3d). */
export const HAND = 'pointer hand';
/** Where an idle finger waits: far outside any domain and the cameras' far planes. */
export const PARKED = 1000;

/** The finger's radius: 4% of the domain's largest side. */
export function fingerRadius(scene: MpmScene): number {
  return 0.04 * Math.max(...scene.grid.res) * scene.grid.dx;
}

/**
 * The finger's fastest speed as a fraction of the slowest wave speed among the scene's materials. A
 * collider pushing at a good fraction of the sound speed compresses the material ahead of it faster
 * than pressure can carry it away; dam-break-2d's water blew up under a finger at 0.9 c, and held
 * at 0.25 c along every drag tests/viewer/finger-drag.test.ts makes (0.4 c did not, into a corner).
 */
const FINGER_MACH = 0.25;

/**
 * How far the finger may move in one step: FINGER_MACH of the slowest wave speed, and at most half a
 * cell, so it never skips over material (validation allows a collider a cell per step).
 */
export function fingerMaxStep(scene: MpmScene): number {
  const c = Math.min(...scene.groups.map((g) => waveSpeed(g, scene.dim)));
  return Math.min(0.5 * scene.grid.dx, FINGER_MACH * c * scene.dt);
}

/** How far the hand may move in one step: a fifth of the scene's shortest side per hundred steps (fast for a hand, slow enough for the springs). */
export function handMaxStep(scene: SpringScene): number {
  return 2e-3 * Math.min(...scene.extent);
}

/**
 * How far the hand may move in the one step that takes a frame's whole way, past the scene's horizon
 * (every step there reads the track's last row, TrackDriver.write): a quarter of the shortest rest
 * edge at the held vertex. Half of it already blows a cloth up (src/springs/fast-grippers.ts).
 */
export function handMaxJump(scene: SpringScene, vertex: number): number {
  const edge = shortestEdge(scene, new Set([vertex]));
  return Number.isFinite(edge) ? 0.25 * edge : handMaxStep(scene);
}

/**
 * Where the finger's centre may go: a cell clear of the wall bands by its radius. Closer, it would
 * squeeze material into a wall or corner with nowhere to flow, which no speed limit makes stable.
 */
export function fingerBounds(scene: MpmScene): { lo: number[]; hi: number[] } {
  const { res, dx } = scene.grid;
  const gap = ((scene.boundary?.boundCells ?? 3) + 1) * dx + fingerRadius(scene);
  return { lo: res.map(() => gap), hi: res.map((r) => Math.max(gap, r * dx - gap)) };
}

/** `p` moved into the box { lo, hi }. */
export function clampToBox(p: number[], box: { lo: number[]; hi: number[] }): number[] {
  return p.map((x, a) => Math.min(box.hi[a], Math.max(box.lo[a], x)));
}

/** `scene` with a parked finger collider added (it must have room: at most 3 colliders). */
export function withFinger(scene: MpmScene): MpmScene {
  const park = new Array<number>(scene.dim).fill(-PARKED);
  const finger: ColliderDesc = { name: FINGER, shape: 'sphere', radius: fingerRadius(scene), friction: 0.3, position: [park], velocity: [park.map(() => 0)] };
  return { ...scene, colliders: [...scene.colliders, finger] };
}

/** The index of the finger in a scene's colliders, or -1. */
export function fingerIndex(scene: Scene): number {
  return (scene.colliders ?? []).findIndex((c) => c.name === FINGER);
}

/** Vertices a hand may take: not pinned and held by no gripper. */
export function freeVertices(scene: SpringScene): boolean[] {
  const free = new Array<boolean>(scene.vertices.mass.length).fill(true);
  for (const i of scene.pinned ?? []) free[i] = false;
  for (const g of scene.grippers ?? []) for (const i of g.vertices) free[i] = false;
  return free;
}

/**
 * `scene` with a gripper holding `vertex`. Its track's first row is the vertex's position in the
 * scene data, so the offset is zero and the vertex goes where the rows say.
 */
export function withHand(scene: SpringScene, vertex: number): SpringScene {
  const d = scene.dim;
  const at = scene.vertices.x.slice(vertex * d, vertex * d + d);
  return { ...scene, grippers: [...(scene.grippers ?? []), { name: HAND, vertices: [vertex], position: [at] }] };
}

/** Index of the hand withHand added (the last gripper named HAND, should a scene use the name too), or -1. */
export function handIndex(scene: SpringScene): number {
  const g = scene.grippers ?? [];
  for (let k = g.length - 1; k >= 0; k--) if (g[k].name === HAND) return k;
  return -1;
}

/** `scene` without the hand (the scene it was added to, data for data; its own grippers kept, whatever their names). */
export function withoutHand(scene: SpringScene): SpringScene {
  const k = handIndex(scene);
  const grippers = (scene.grippers ?? []).filter((_, i) => i !== k);
  const out: SpringScene = { ...scene, grippers };
  if (!scene.grippers) delete out.grippers;
  return out;
}

/** Nearest index of the points [n][dim] to `p` within `radius` (where `ok`), or -1; measured over the first `axes` axes (2: the x-y projection). */
export function nearestPoint(x: ArrayLike<number>, dim: number, p: number[], radius: number, ok?: boolean[], axes = dim): number {
  let best = -1, bestD = radius * radius;
  for (let i = 0; i * dim < x.length; i++) {
    if (ok && !ok[i]) continue;
    let d2 = 0;
    for (let a = 0; a < axes; a++) d2 += (x[i * dim + a] - p[a]) ** 2;
    if (d2 <= bestD) { best = i; bestD = d2; }
  }
  return best;
}

/** Index of the point [n][3] nearest to the ray (origin, unit dir) within `radius` of it, the nearest to the origin among close ones; or -1. */
export function nearestToRay(x: ArrayLike<number>, origin: number[], dir: number[], radius: number, ok?: boolean[]): number {
  let best = -1, bestScore = Infinity;
  for (let i = 0; i * 3 < x.length; i++) {
    if (ok && !ok[i]) continue;
    const r = [x[3 * i] - origin[0], x[3 * i + 1] - origin[1], x[3 * i + 2] - origin[2]];
    const t = r[0] * dir[0] + r[1] * dir[1] + r[2] * dir[2];
    if (t <= 0) continue;
    const off = Math.hypot(r[0] - t * dir[0], r[1] - t * dir[1], r[2] - t * dir[2]);
    if (off > radius) continue;
    // within the radius, the front-most wins (a tenth of a radius of depth outweighs nothing else)
    const score = t + 10 * off;
    if (score < bestScore) { best = i; bestScore = score; }
  }
  return best;
}

/**
 * Drives a body along the pointer through its track rows. Each submission's steps move it from where
 * it is towards `target` at no more than `maxStep` per step, in a straight line at constant
 * velocity (the velocity block, when the body has one, gets that velocity). Past the horizon every
 * step reads the last row, so the body jumps to the submission's end point in its first step: there
 * the move per submission is at most `maxJump` as well.
 */
export class TrackDriver {
  target: number[];
  current: number[];
  private readonly pos: ParamBlock;
  private readonly vel: ParamBlock | null;
  private snapTo: number[] | null = null;

  constructor(readonly sim: Simulator, readonly body: string, start: number[], private readonly dt: number, private readonly maxStep: number,
    private readonly maxJump = Infinity) {
    const find = (name: string) => sim.params.blocks.find((b) => b.name === name) ?? null;
    const pos = find(`${body}.position`);
    if (!pos) throw new Error(`the simulator has no track ${body}.position`);
    this.pos = pos;
    this.vel = find(`${body}.velocity`);
    this.target = start.slice();
    this.current = start.slice();
  }

  /** Puts the body at `p` at rest on every row (steps before and after), written at once. */
  place(p: number[]): void {
    this.current = p.slice();
    this.target = p.slice();
    this.snapTo = null;
    const v = this.sim.params.values(0);
    const rows = this.pos.indices.length / this.pos.rowLength;
    for (let r = 0; r < rows; r++) this.setRow(v, r, p, p.map(() => 0));
    this.commit(v);
  }

  /** The next submission puts the body at `p` at once (no velocity), then it follows `target` from there. */
  jumpTo(p: number[]): void {
    this.snapTo = p.slice();
    this.target = p.slice();
  }

  /** Writes the rows of steps step .. step + count - 1. */
  write(step: number, count: number): void {
    const d = this.current.length;
    const v = this.sim.params.values(0);
    const rows = this.pos.indices.length / this.pos.rowLength;
    let vel = new Array<number>(d).fill(0);
    if (this.snapTo) {
      this.current = this.snapTo;
      this.snapTo = null;
    } else {
      const delta = this.target.map((t, a) => t - this.current[a]);
      const dist = Math.hypot(...delta);
      const shared = step + count > rows; // steps from rows - 1 on all read the last row
      const reach = Math.min(dist, this.maxStep * count, shared ? this.maxJump : Infinity);
      vel = dist > 0 ? delta.map((x) => (x / dist) * (reach / (count * this.dt))) : vel;
    }
    const start = this.current;
    for (let j = 0; j < count; j++) {
      const p = start.map((x, a) => x + vel[a] * (j + 1) * this.dt);
      this.setRow(v, Math.min(step + j, rows - 1), p, vel);
    }
    this.current = start.map((x, a) => x + vel[a] * count * this.dt);
    this.commit(v);
  }

  private setRow(v: Float64Array, row: number, p: number[], vel: number[]): void {
    const w = this.pos.rowLength;
    for (let a = 0; a < w; a++) v[this.pos.indices[row * w + a]] = p[a];
    if (this.vel) for (let a = 0; a < w; a++) v[this.vel.indices[row * w + a]] = vel[a];
  }

  private commit(v: Float64Array): void {
    const rec = this.sim.paramValues.slice();
    this.sim.params.pack(rec, 0, v);
    this.sim.writeParams(rec);
  }
}
