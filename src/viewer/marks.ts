// The things three-view.ts draws besides the simulated items: loss targets and goals (translucent
// boxes, spheres in 3D and rings in 2D; a match-positions' observed positions as small dots; a
// match-pairs' pairs as lines between the items, read from the draw buffer on the GPU), grippers at the centroid of what they hold, and the ground
// (a plane in 3D, a filled band in 2D). Built once per source from the scene data; moving ones are
// placed per step on the CPU from their tracks (a few numbers, no read-back).
import * as THREE from 'three/webgpu';
import type { DrawSource, TargetMark } from './scene-view';
import { trackAt } from './draw-source';

/** Targets' colour (a mint no palette or ramp uses), as linear output values. */
export const TARGET_COLOR = new THREE.Color(0.25, 1.0, 0.7);
const TARGET_FILL = 0.22;
const GRIPPER_COLOR = new THREE.Color(0.95, 0.7, 0.2);
const GROUND_COLOR = new THREE.Color(0.2, 0.21, 0.24);
/** 2D: marks sit behind the items (z = 0), which draw over them. */
const Z_BEHIND = -0.05;

function translucent(color: THREE.Color, opacity: number): THREE.MeshBasicNodeMaterial {
  return new THREE.MeshBasicNodeMaterial({ color, transparent: true, opacity, depthWrite: false, side: THREE.DoubleSide });
}

const scratch = new THREE.Matrix4();

/** A moving mark and where it is at a step. */
interface Moving { object: THREE.Object3D; at(step: number): number[] }

export class Marks {
  readonly group = new THREE.Group();
  private readonly moving: Moving[] = [];

  /** `draw`: the items' positions (three-view.ts's storage attribute), for lines between items; without it pairs are not drawn. */
  constructor(private readonly src: DrawSource, private readonly draw: THREE.BufferAttribute | null = null) {
    const size = Math.max(...src.extent);
    for (const t of src.targets) this.addTarget(t, 0.02 * size);
    for (const g of src.grippers) {
      const mesh = this.ball(0.025 * size, GRIPPER_COLOR, 0.55);
      mesh.name = `gripper ${g.name}`;
      const row = (step: number) => g.position[Math.min(Math.max(step - 1, 0), g.position.length - 1)];
      this.moving.push({ object: mesh, at: (step) => row(step).map((p, i) => p + g.offset[i]) });
    }
    if (src.ground !== null && src.dim === 2) this.addBand(src.ground);
    this.place(0);
  }

  private addTarget(t: TargetMark, r: number): void {
    const d = this.src.dim;
    if (t.shape === 'points') { this.addDots(t.name, t.points, 0.3 * r); return; }
    if (t.shape === 'pairs') { this.addPairs(t.name, t.pairs); return; }
    if (t.shape === 'box') {
      const lo = [...t.min, 0].slice(0, 3), hi = [...t.max, 0].slice(0, 3);
      const geometry = d === 3 ? new THREE.BoxGeometry(hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]) : new THREE.PlaneGeometry(hi[0] - lo[0], hi[1] - lo[1]);
      const fill = new THREE.Mesh(geometry, translucent(TARGET_COLOR, TARGET_FILL));
      const edges = new THREE.LineSegments(new THREE.EdgesGeometry(geometry), new THREE.LineBasicNodeMaterial({ color: TARGET_COLOR }));
      const box = new THREE.Group().add(fill, edges);
      box.name = `target ${t.name}`;
      box.position.set((lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, d === 3 ? (lo[2] + hi[2]) / 2 : Z_BEHIND);
      this.group.add(box);
      return;
    }
    const mark = d === 3 ? this.ball(r, TARGET_COLOR, 0.5)
      : this.add(new THREE.Mesh(new THREE.RingGeometry(0.6 * r, r, 32), translucent(TARGET_COLOR, 0.9)));
    mark.name = `target ${t.name}`;
    if ('at' in t) this.moving.push({ object: mark, at: () => t.at });
    else this.moving.push({ object: mark, at: (step) => trackAt(t.track, step) });
  }

  // Fixed points as one instanced mesh of small discs (2D) or spheres (3D).
  private addDots(name: string, points: number[][], r: number): void {
    const geometry = this.src.dim === 3 ? new THREE.SphereGeometry(r, 12, 6) : new THREE.CircleGeometry(r, 16);
    const dots = new THREE.InstancedMesh(geometry, translucent(TARGET_COLOR, 0.9), points.length);
    points.forEach((p, k) => {
      scratch.makeTranslation(p[0], p[1], this.src.dim === 3 ? p[2] : Z_BEHIND);
      dots.setMatrixAt(k, scratch);
    });
    dots.frustumCulled = false;
    dots.name = `target ${name}`;
    this.group.add(dots);
  }

  // Lines between the items of each pair where they are (the draw buffer), over everything: a guide.
  private addPairs(name: string, pairs: number[]): void {
    if (!this.draw) return;
    const geometry = new THREE.BufferGeometry();
    geometry.setAttribute('position', this.draw);
    geometry.setIndex(new THREE.BufferAttribute(Uint32Array.from(pairs), 1));
    const lines = new THREE.LineSegments(geometry, new THREE.LineBasicNodeMaterial({ color: TARGET_COLOR, depthTest: false, depthWrite: false }));
    lines.frustumCulled = false;
    lines.renderOrder = 2;
    lines.name = `target ${name}`;
    this.group.add(lines);
  }

  private ball(r: number, color: THREE.Color, opacity: number): THREE.Mesh {
    const geometry = this.src.dim === 3 ? new THREE.SphereGeometry(r, 24, 12) : new THREE.CircleGeometry(r, 32);
    return this.add(new THREE.Mesh(geometry, translucent(color, opacity)));
  }

  private add<T extends THREE.Object3D>(o: T): T {
    this.group.add(o);
    return o;
  }

  // 2D: the ground as a filled band from below the domain up to its surface.
  private addBand(height: number): void {
    const ex = this.src.extent[0];
    const band = new THREE.Mesh(new THREE.PlaneGeometry(ex, height + 1), new THREE.MeshBasicNodeMaterial({ color: GROUND_COLOR }));
    band.name = 'ground';
    band.position.set(ex / 2, height - (height + 1) / 2, 2 * Z_BEHIND);
    this.group.add(band);
  }

  /** Moves the moving marks to where they are after `step` steps. */
  place(step: number): void {
    for (const m of this.moving) {
      const p = m.at(step);
      m.object.position.set(p[0], p[1], this.src.dim === 3 ? p[2] : Z_BEHIND);
    }
  }
}
