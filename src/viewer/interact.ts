// The pointer on the canvas moves things in the simulation: in an MPM scene a finger (a small sphere
// collider, added to the scene on the first touch) stirs the fluid or pokes the jelly; in a
// mass-spring or shell scene the vertex nearest the pointer is grabbed by a hand (a gripper, added
// while the button is held) and follows it. Both run on the simulators' track machinery through
// TrackDriver (user-bodies.ts): the scene is swapped for one with the body, the state carried over.
// The pointer is mapped onto the domain: in 2D directly; in 3D onto the plane through the grabbed
// point (or the domain's centre) facing the camera. In 3D a plain drag orbits the camera; Shift, or
// the panel's mouse mode 'grab', grabs instead.
import type { MpmScene } from '../mpm/scene';
import type { SpringScene } from '../springs/scene';
import type { Scene } from '../simulators';
import type { Simulator } from '../core/simulator';
import type { Viewer } from './viewer';
import {
  FINGER, HAND, PARKED, TrackDriver, clampToBox, fingerBounds, fingerIndex, fingerMaxStep, freeVertices, handIndex, handMaxJump, handMaxStep, nearestPoint, nearestToRay,
  withFinger, withHand, withoutHand,
} from './user-bodies';

/** What a 3D view offers for picking (three-view.ts). */
interface Pickable {
  ray(ndcX: number, ndcY: number): { origin: number[]; dir: number[] };
  project(p: number[]): [number, number];
}

/** Fraction of the canvas the 2D domain fills (three-view.ts, points-renderer.ts). */
const MARGIN = 0.97;

export type MouseMode = 'orbit' | 'grab';

export interface InteractionHost {
  viewer: Viewer;
  canvas: HTMLCanvasElement;
  /** Loads `scene` carrying the state over (the page re-applies what it set on the simulator, e.g. a demo's weights). */
  swap(scene: Scene): Promise<void>;
  /** Shows a message for the user. */
  error(text: string): void;
}

type Grab = {
  kind: 'finger' | 'hand'; driver: TrackDriver | null; plane: { point: number[]; normal: number[] } | null; vertex: number; released: boolean;
  /** Where the body may go (the finger: clear of the walls; the hand: the domain). */
  box: { lo: number[]; hi: number[] } | null;
};

export class Interaction {
  mouseMode: MouseMode = 'orbit';
  /** Whether the pointer drives anything (a demo may take the pointer for itself). */
  enabled = true;
  private grab: Grab | null = null;
  private busy: Promise<void> = Promise.resolve();
  /** Grabs so far (tests wait on this). */
  grabs = 0;

  constructor(private readonly host: InteractionHost) {
    const c = host.canvas;
    // capture: before OrbitControls' own pointerdown on the canvas, which a grab stops
    c.addEventListener('pointerdown', (e) => this.down(e), { capture: true });
    c.addEventListener('pointermove', (e) => this.move(e));
    c.addEventListener('pointerup', (e) => this.up(e));
    c.addEventListener('pointercancel', (e) => this.up(e));
  }

  /** Before a submission's steps (the viewer's beforeSteps): the dragged body's rows for them. */
  beforeSteps(sim: Simulator, step: number, count: number): void {
    const d = this.grab?.driver;
    if (d && d.sim === sim) {
      d.write(step, count);
      if (this.grab!.kind === 'finger') this.showFinger(d.current); else this.showHand(d.current);
    }
  }

  /** The body being dragged and where it is ('' when none). */
  get state(): { body: string; at: number[]; vertex: number } {
    const g = this.grab;
    return { body: g?.driver ? g.kind : '', at: g?.driver?.current.slice() ?? [], vertex: g?.vertex ?? -1 };
  }

  /** Waits for the grab or release in progress (the scene swap) to finish. */
  settled(): Promise<void> { return this.busy; }

  private scene(): Scene | null { return this.host.viewer.scene; }

  private wants(e: PointerEvent): boolean {
    const s = this.scene();
    if (!this.enabled || !s || e.button !== 0) return false;
    return s.dim === 2 || e.shiftKey || this.mouseMode === 'grab';
  }

  private down(e: PointerEvent): void {
    if (!this.wants(e) || this.grab) return;
    if (this.host.viewer.replayFrame) {
      // a replay is recorded positions: a body added to its scene would swap in a live run under
      // the replay's fixed panel (and end an optimization's best replay)
      this.host.error('A replay is a recording: the pointer moves nothing in it. To push or grab, choose the scene in the list and run it live.');
      return;
    }
    e.stopImmediatePropagation();
    e.preventDefault();
    this.host.canvas.setPointerCapture(e.pointerId);
    const s = this.scene()!;
    const grab: Grab = { kind: 'particles' in s ? 'finger' : 'hand', driver: null, plane: null, vertex: -1, released: false, box: null };
    this.grab = grab;
    const ndc = this.ndc(e);
    this.busy = this.busy.then(() => (grab.kind === 'finger' ? this.startFinger(grab, ndc) : this.startHand(grab, ndc)))
      .catch((err) => {
        this.host.error(`could not grab: ${err instanceof Error ? err.message : String(err)}`);
        if (this.grab === grab) this.grab = null;
      });
  }

  private move(e: PointerEvent): void {
    const g = this.grab;
    if (!g?.driver || !g.plane) return;
    const p = this.onPlane(this.ndc(e), g.plane);
    if (p) g.driver.target = clampToBox(p, g.box ?? this.domain());
  }

  private up(e: PointerEvent): void {
    const g = this.grab;
    if (!g) return;
    if (this.host.canvas.hasPointerCapture(e.pointerId)) this.host.canvas.releasePointerCapture(e.pointerId);
    g.released = true;
    this.busy = this.busy.then(() => this.release(g)).catch((err) => this.host.error(`could not let go: ${err instanceof Error ? err.message : String(err)}`));
  }

  private async startFinger(g: Grab, ndc: [number, number]): Promise<void> {
    let s = this.scene() as MpmScene;
    if (fingerIndex(s) < 0) {
      if (s.colliders.length >= 4) throw new Error(`${s.name} has 4 colliders already, the most an MPM scene can have: no room for a finger`);
      await this.host.swap(withFinger(s));
      s = this.scene() as MpmScene;
    }
    const sim = this.host.viewer.sim!;
    const centre = s.grid.res.map((r) => (r * s.grid.dx) / 2);
    g.plane = this.planeThrough(centre);
    g.box = fingerBounds(s);
    const start = clampToBox(this.onPlane(ndc, g.plane) ?? centre, g.box);
    // past the horizon a submission's move is one jump: at most a cell, what validation allows a collider per step
    const driver = new TrackDriver(sim, `colliders[${fingerIndex(s)}]`, start, s.dt, fingerMaxStep(s), s.grid.dx);
    driver.place(start);
    g.driver = driver;
    this.showFinger(start);
    this.grabs++;
  }

  private async startHand(g: Grab, ndc: [number, number]): Promise<void> {
    const s = this.scene() as SpringScene;
    const x = await this.host.viewer.readPositions();
    const d = s.dim, ok = freeVertices(s);
    const ext = s.extent;
    const radius = 0.05 * Math.max(...ext);
    let v: number;
    const view = this.pickable();
    if (d === 3 && view) {
      const { origin, dir } = view.ray(ndc[0], ndc[1]);
      v = nearestToRay(x, origin, dir, radius, ok);
    } else {
      v = nearestPoint(x, d, this.on2d(ndc), radius, ok, 2);
    }
    if (v < 0 || g.released) { this.grab = null; return; }
    const at = Array.from(x.subarray(v * d, v * d + d));
    await this.host.swap(withHand(s, v));
    const sim = this.host.viewer.sim!;
    const hand = (this.scene() as SpringScene).grippers!.length - 1;
    const driver = new TrackDriver(sim, `grippers[${hand}]`, at, s.dt, handMaxStep(s), handMaxJump(s, v));
    driver.place(at);
    g.vertex = v;
    g.plane = this.planeThrough(at);
    g.driver = driver;
    this.grabs++;
  }

  private async release(g: Grab): Promise<void> {
    if (this.grab !== g) return;
    this.grab = null;
    if (!g.driver) return;
    if (g.kind === 'finger') {
      // parked on every row: a reset must not replay the drag
      g.driver.place(new Array<number>(g.driver.current.length).fill(-PARKED));
      this.showFinger(g.driver.current);
    } else {
      await this.host.swap(withoutHand(this.scene() as SpringScene));
    }
  }

  // The finger's collider in the scene data follows the driver, so the view draws it where it is.
  private showFinger(p: number[]): void {
    const s = this.scene();
    const k = s ? fingerIndex(s) : -1;
    if (k >= 0) s!.colliders![k].position = [p.slice()];
  }

  // The hand's gripper in the scene data follows the driver too. Its mark (marks.ts) holds the
  // track's array and its offset from row 0 (zero: withHand), so the row is replaced in place.
  private showHand(p: number[]): void {
    const s = this.scene();
    const g = s && 'grippers' in s ? s.grippers?.[handIndex(s)] : undefined;
    if (g) g.position[0] = p.slice();
  }

  private pickable(): Pickable | null {
    const v = this.host.viewer.view as unknown as Partial<Pickable>;
    return typeof v.ray === 'function' && typeof v.project === 'function' ? (v as Pickable) : null;
  }

  private ndc(e: { clientX: number; clientY: number }): [number, number] {
    const r = this.host.canvas.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * 2 - 1, 1 - ((e.clientY - r.top) / r.height) * 2];
  }

  private extent(): number[] {
    return this.host.viewer.sim?.extent ?? [1, 1, 1];
  }

  // 2D (and the flat-disc view of 3D): the domain's x-y rectangle fitted into the canvas.
  private on2d(ndc: [number, number], z?: number): number[] {
    const r = this.host.canvas.getBoundingClientRect();
    const [ex, ey] = this.extent();
    const s = MARGIN * Math.min(r.width / ex, r.height / ey);
    const p = [ex / 2 + (ndc[0] * r.width) / 2 / s, ey / 2 + (ndc[1] * r.height) / 2 / s];
    return this.scene()?.dim === 3 ? [...p, z ?? this.extent()[2] / 2] : p;
  }

  private planeThrough(point: number[]): { point: number[]; normal: number[] } {
    const view = this.pickable();
    if (point.length === 3 && view) {
      const { dir } = view.ray(0, 0);
      return { point, normal: dir };
    }
    return { point, normal: [0, 0, 1] };
  }

  private onPlane(ndc: [number, number], plane: { point: number[]; normal: number[] }): number[] | null {
    const view = this.pickable();
    if (plane.point.length === 2 || !view) return this.on2d(ndc, plane.point[2]);
    const { origin, dir } = view.ray(ndc[0], ndc[1]);
    const n = plane.normal;
    const den = dir[0] * n[0] + dir[1] * n[1] + dir[2] * n[2];
    if (Math.abs(den) < 1e-6) return null;
    const t = ((plane.point[0] - origin[0]) * n[0] + (plane.point[1] - origin[1]) * n[1] + (plane.point[2] - origin[2]) * n[2]) / den;
    return t > 0 ? origin.map((o, a) => o + t * dir[a]) : null;
  }

  private domain(): { lo: number[]; hi: number[] } {
    const e = this.extent();
    return { lo: e.map(() => 0), hi: e };
  }

  /** The domain point under a client position (2D; 3D: on the plane through the domain's centre facing the camera). */
  toDomain(clientX: number, clientY: number): number[] {
    const ndc = this.ndc({ clientX, clientY });
    const e = this.extent();
    const centre = e.map((x) => x / 2);
    return this.onPlane(ndc, this.planeThrough(this.scene()?.dim === 3 ? centre : centre.slice(0, 2))) ?? centre;
  }

  /** Where a domain point is on the page, in client pixels (for tests that move the mouse there). */
  toClient(p: number[]): [number, number] {
    const r = this.host.canvas.getBoundingClientRect();
    const view = this.pickable();
    let ndc: [number, number];
    if (view) ndc = view.project(p);
    else {
      const [ex, ey] = this.extent();
      const s = MARGIN * Math.min(r.width / ex, r.height / ey);
      ndc = [((p[0] - ex / 2) * s * 2) / r.width, ((p[1] - ey / 2) * s * 2) / r.height];
    }
    return [r.left + ((ndc[0] + 1) / 2) * r.width, r.top + ((1 - ndc[1]) / 2) * r.height];
  }
}

export { FINGER, HAND };
