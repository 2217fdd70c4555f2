// Draws any Simulator with three.js's WebGPURenderer on the simulators' own GPUDevice. Each frame the
// draw kernels (draw-kernels.ts) write positions, radii, colours and shell normals from the state
// buffer into storage attributes that three owns, in the same command buffer as the steps; three then
// draws them. No frame reads anything back. MPM particles and mass-spring vertices are sprites (flat
// discs in 2D, shaded sphere impostors in 3D), springs are line segments, shells a lit two-sided mesh;
// loss targets, grippers and the ground are marks.ts's.
// 2D: an orthographic camera fitted to the domain; 3D: a perspective camera with OrbitControls.
import * as THREE from 'three/webgpu';
import { Fn, dot, float, instanceIndex, max, sqrt, storage, uv, varying, vec3, vec4 } from 'three/tsl';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { RoundedBoxGeometry } from 'three/addons/geometries/RoundedBoxGeometry.js';
import type { PipelineCache } from '../gpu/pipeline-cache';
import type { ColliderDesc } from '../mpm/scene';
import { DrawKernels } from './draw-kernels';
import { Marks } from './marks';
import type { ColorMode, DrawSource, SceneView } from './scene-view';

/** The canvas clear colour, as points-renderer.ts (the output is linear: these are the pixel values). */
const CLEAR = new THREE.Color(0.08, 0.09, 0.11);
const LINE_COLOR = new THREE.Color(0.55, 0.58, 0.64);
const FRAME_COLOR = new THREE.Color(0.24, 0.26, 0.31);
const GROUND_COLOR = new THREE.Color(0.2, 0.21, 0.24);
const COLLIDER_COLOR = new THREE.Color(0.55, 0.56, 0.6);
/** The hemisphere light's colour from below (sRGB hex, as three reads it): about 0.5 linear. */
const HEMI_GROUND = 0xb8bec8;
/** View-space direction towards the light of the sphere impostors. */
const LIGHT = new THREE.Vector3(0.35, 0.6, 0.72).normalize();
/** Fraction of the canvas the 2D domain fills (as points-renderer.ts). */
const MARGIN = 0.97;
const FOV = 40;

const Z_AXIS = new THREE.Vector3(0, 0, 1);
const scratchRay = new THREE.Raycaster();
const scratchNdc = new THREE.Vector2();
const scratchPoint = new THREE.Vector3();

/**
 * A collider's shape in its own frame: sphere, box (its corners rounded by its radius) or capsule
 * (segment along the axis of its one non-zero half extent). 2D shapes are drawn as 3D ones cut by z = 0.
 * Round parts are drawn 2% small, so that a mesh resting on one does not show it between its vertices.
 */
function colliderMesh(c: ColliderDesc, dim: number): THREE.Mesh {
  const r = 0.98 * (c.radius ?? 0);
  const he = [...(c.halfExtents ?? []), 0, 0, 0].slice(0, 3);
  if (dim === 2) he[2] = 0;
  let geometry: THREE.BufferGeometry;
  if (c.shape === 'sphere') geometry = new THREE.SphereGeometry(r, 32, 16);
  else if (c.shape === 'capsule') {
    const axis = he.findIndex((h) => h > 0);
    geometry = new THREE.CapsuleGeometry(r, 2 * Math.max(...he), 8, 24);
    if (axis === 0) geometry.rotateZ(Math.PI / 2);
    if (axis === 2) geometry.rotateX(Math.PI / 2);
  } else if (r > 0) {
    // the box grown by r in every direction, its edges and corners rounded with radius r
    geometry = new RoundedBoxGeometry(2 * (he[0] + r), 2 * (he[1] + r), 2 * (he[2] + r), 6, r);
  } else {
    geometry = new THREE.BoxGeometry(2 * he[0], 2 * he[1], Math.max(2 * he[2], 1e-3));
  }
  const mesh = new THREE.Mesh(geometry, new THREE.MeshStandardNodeMaterial({ color: COLLIDER_COLOR, roughness: 0.6 }));
  mesh.name = c.name;
  return mesh;
}

/** The part of three's WebGPU backend this view relies on (not in three's public API: see docs/design.md). */
interface BackendInternals {
  isWebGPUBackend?: boolean;
  device?: GPUDevice;
  createStorageAttribute(attribute: THREE.BufferAttribute): void;
  get(object: object): { buffer?: GPUBuffer };
  delete(object: object): void;
}

/**
 * The GPUBuffer behind a storage attribute, created now. three has no public way to share buffers
 * with other WebGPU code (r187): its backend keeps them in a per-attribute data map, which is
 * read here, in one place, and checked.
 */
function gpuBufferOf(backend: BackendInternals, attribute: THREE.StorageBufferAttribute): GPUBuffer {
  backend.createStorageAttribute(attribute);
  const buffer = backend.get(attribute).buffer;
  if (!buffer || typeof buffer.size !== 'number' || buffer.size < attribute.array.byteLength) {
    throw new Error(`three.js ${THREE.REVISION}: no GPUBuffer behind a storage attribute (its WebGPU backend's internals changed)`);
  }
  return buffer;
}

export class ThreeView implements SceneView {
  readonly name = 'three';
  private readonly scene = new THREE.Scene();
  private readonly ortho = new THREE.OrthographicCamera();
  private readonly persp = new THREE.PerspectiveCamera(FOV, 1, 0.01, 100);
  private readonly controls: OrbitControls;
  private camera: THREE.Camera = this.ortho;
  private readonly content = new THREE.Group();
  private kernels: DrawKernels | null = null;
  private attrs: THREE.StorageBufferAttribute[] = [];
  private src: DrawSource | null = null;
  private colliders: { mesh: THREE.Mesh; desc: ColliderDesc }[] = [];
  private marks: Marks | null = null;
  private changed = false;
  private _colorMode: ColorMode = 'group';

  /** A renderer on `device` (the simulators'): throws if three cannot use it, so a caller can fall back. */
  static async create(device: GPUDevice, canvas: HTMLCanvasElement, cache: PipelineCache): Promise<ThreeView> {
    const ours = device.onuncapturederror;
    const renderer = new THREE.WebGPURenderer({ canvas, device, alpha: false, antialias: false });
    try {
      await renderer.init();
    } finally {
      // three installs its own handler; ours collects errors for the page (src/gpu/device.ts).
      device.onuncapturederror = ours;
    }
    const backend = renderer.backend as unknown as BackendInternals;
    if (!backend.isWebGPUBackend || backend.device !== device) {
      renderer.dispose();
      throw new Error("three.js did not take the simulators' GPUDevice (it chose another backend)");
    }
    return new ThreeView(renderer, canvas, cache);
  }

  private constructor(private readonly renderer: THREE.WebGPURenderer, readonly canvas: HTMLCanvasElement,
    private readonly cache: PipelineCache) {
    renderer.setPixelRatio(1);
    // Linear output, no tone mapping: colours reach the canvas as written (the palette of pack.wgsl).
    renderer.outputColorSpace = THREE.LinearSRGBColorSpace;
    renderer.setClearColor(CLEAR, 1);
    this.scene.add(this.content);
    // The hemisphere's ground colour lights what faces down (a cloth's underside, a fold's inner
    // side, the floor seen from below), which the sun above leaves unlit: a near-black one
    // (0x303238, 0.03 linear) drew a cloth seen from below as a black silhouette.
    this.scene.add(new THREE.HemisphereLight(0xdde4f0, HEMI_GROUND, 1.6));
    const sun = new THREE.DirectionalLight(0xffffff, 1.8);
    sun.position.set(0.5, 1, 0.7);
    this.scene.add(sun);
    this.controls = new OrbitControls(this.persp, canvas);
    this.controls.addEventListener('change', () => { this.changed = true; });
  }

  get colorMode(): ColorMode { return this._colorMode; }
  set colorMode(mode: ColorMode) {
    this._colorMode = mode;
    if (this.kernels) {
      this.kernels.colorMode = mode;
      this.kernels.writeParams();
    }
  }

  private get backend(): BackendInternals {
    return this.renderer.backend as unknown as BackendInternals;
  }

  setSource(src: DrawSource): void {
    // the same domain (a finger or hand added, a reset, a parameter edited): the camera stays where
    // the user put it, and a drag keeps meaning the place it pointed at
    const prev = this.src;
    const sameDomain = !!prev && prev.dim === src.dim && prev.extent.every((e, i) => e === src.extent[i]);
    this.clear();
    this.src = src;
    const n = src.n;
    const draw = new THREE.StorageBufferAttribute(n, 4);
    const tint = new THREE.StorageBufferAttribute(n, 4);
    const normal = src.triangles ? new THREE.StorageBufferAttribute(n, 4) : null;
    this.attrs = normal ? [draw, tint, normal] : [draw, tint];
    const b = this.backend;
    this.kernels = new DrawKernels(this.cache.device, this.cache, src,
      { draw: gpuBufferOf(b, draw), tint: gpuBufferOf(b, tint), normal: normal && gpuBufferOf(b, normal) });
    this.kernels.colorMode = this._colorMode;
    this.kernels.writeParams();

    if (src.triangles && normal) this.content.add(this.shell(src.triangles, draw, tint, normal));
    else this.content.add(this.points(n, draw, tint, src.dim));
    if (src.lines) this.content.add(this.springs(src.lines, draw));
    this.addFrame(src);
    this.colliders = src.colliders.map((desc) => ({ mesh: colliderMesh(desc, src.dim), desc }));
    for (const c of this.colliders) this.content.add(c.mesh);
    this.placeColliders(0);
    this.marks = new Marks(src, draw);
    this.content.add(this.marks.group);
    this.camera = src.dim === 3 ? this.persp : this.ortho;
    this.controls.enabled = src.dim === 3;
    this.fitCanvas(true);
    if (src.dim === 3 && !sameDomain) this.aim3d(src);
  }

  // Sprites at the items' positions: discs in 2D, shaded spheres in 3D (impostors: one quad each).
  private points(n: number, draw: THREE.StorageBufferAttribute, tint: THREE.StorageBufferAttribute, dim: number): THREE.Sprite {
    const material = new THREE.SpriteNodeMaterial();
    const d = storage(draw, 'vec4', n).toReadOnly().element(instanceIndex);
    const colour = varying(storage(tint, 'vec4', n).toReadOnly().element(instanceIndex).xyz);
    material.positionNode = d.xyz;
    material.scaleNode = d.w.mul(2);
    material.colorNode = Fn(() => {
      const p = uv().mul(2).sub(1);
      const r2 = dot(p, p);
      r2.greaterThan(1).discard();
      if (dim === 2) return vec4(colour, 1);
      const nz = sqrt(max(float(1).sub(r2), 0));
      const shade = max(dot(vec3(p.x, p.y, nz), vec3(LIGHT.x, LIGHT.y, LIGHT.z)), 0).mul(0.7).add(0.3);
      return vec4(colour.mul(shade), 1);
    })();
    const sprite = new THREE.Sprite(material);
    sprite.count = n;
    sprite.frustumCulled = false;
    return sprite;
  }

  // A lit, two-sided mesh; positions, colours and normals are the draw kernels' output.
  private shell(tris: Uint32Array, draw: THREE.StorageBufferAttribute, tint: THREE.StorageBufferAttribute,
    normal: THREE.StorageBufferAttribute): THREE.Mesh {
    const geometry = new THREE.BufferGeometry();
    geometry.setAttribute('position', draw);
    geometry.setAttribute('normal', normal);
    geometry.setAttribute('color', tint);
    geometry.setIndex(new THREE.BufferAttribute(tris, 1));
    const material = new THREE.MeshStandardNodeMaterial({ side: THREE.DoubleSide, vertexColors: true, roughness: 0.8, metalness: 0 });
    const mesh = new THREE.Mesh(geometry, material);
    mesh.frustumCulled = false;
    return mesh;
  }

  private springs(pairs: Uint32Array, draw: THREE.StorageBufferAttribute): THREE.LineSegments {
    const geometry = new THREE.BufferGeometry();
    geometry.setAttribute('position', draw);
    geometry.setIndex(new THREE.BufferAttribute(pairs, 1));
    const material = new THREE.LineBasicNodeMaterial({ color: LINE_COLOR, depthWrite: false });
    const lines = new THREE.LineSegments(geometry, material);
    lines.frustumCulled = false;
    lines.renderOrder = -1; // under the vertices, which sit at the same depth in 2D
    return lines;
  }

  // The domain's box (a rectangle in 2D, under the items) and the ground, where the scene has one.
  private addFrame(src: DrawSource): void {
    const [ex, ey] = src.extent;
    const ez = src.dim === 3 ? src.extent[2] : 0;
    if (src.dim === 3) {
      const box = new THREE.LineSegments(new THREE.EdgesGeometry(new THREE.BoxGeometry(ex, ey, ez)),
        new THREE.LineBasicNodeMaterial({ color: FRAME_COLOR }));
      box.position.set(ex / 2, ey / 2, ez / 2);
      this.content.add(box);
    } else {
      const corners = [[0, 0], [ex, 0], [ex, ey], [0, ey], [0, 0]].map(([x, y]) => new THREE.Vector3(x, y, 0));
      const rect = new THREE.Line(new THREE.BufferGeometry().setFromPoints(corners), new THREE.LineBasicNodeMaterial({ color: FRAME_COLOR }));
      rect.name = 'domain';
      rect.renderOrder = -2;
      this.content.add(rect);
    }
    if (src.ground === null) return;
    if (src.dim === 3) {
      const plane = new THREE.Mesh(new THREE.PlaneGeometry(ex, ez),
        new THREE.MeshStandardNodeMaterial({ color: GROUND_COLOR, side: THREE.DoubleSide, roughness: 1 }));
      plane.rotation.x = -Math.PI / 2;
      plane.position.set(ex / 2, src.ground, ez / 2);
      this.content.add(plane);
    } else {
      const g = new THREE.BufferGeometry().setFromPoints([new THREE.Vector3(0, src.ground, 0), new THREE.Vector3(ex, src.ground, 0)]);
      this.content.add(new THREE.Line(g, new THREE.LineBasicNodeMaterial({ color: FRAME_COLOR })));
    }
  }

  // A 3/4 view of the whole domain, the orbit centred on it.
  private aim3d(src: DrawSource): void {
    const [ex, ey, ez] = src.extent;
    const centre = new THREE.Vector3(ex / 2, ey * 0.4, ez / 2);
    const radius = 0.5 * Math.hypot(ex, ey, ez);
    const dist = radius / Math.sin(THREE.MathUtils.degToRad(FOV / 2));
    this.persp.position.copy(centre).addScaledVector(new THREE.Vector3(0.45, 0.45, 1).normalize(), dist);
    this.persp.near = dist / 100;
    this.persp.far = dist * 10;
    this.persp.updateProjectionMatrix();
    this.controls.target.copy(centre);
    this.controls.update();
  }

  fitCanvas(force = false, dpr = globalThis.devicePixelRatio ?? 1): boolean {
    const c = this.canvas;
    const w = Math.max(1, Math.round(c.clientWidth * dpr));
    const h = Math.max(1, Math.round(c.clientHeight * dpr));
    const resized = w !== c.width || h !== c.height;
    if (!resized && !force) return false;
    this.renderer.setSize(w, h, false);
    this.persp.aspect = w / h;
    this.persp.updateProjectionMatrix();
    if (this.src) this.fitOrtho(this.src, w, h);
    return resized;
  }

  // The domain's x-y rectangle centred in the canvas with a small margin, keeping its aspect.
  private fitOrtho(src: DrawSource, w: number, h: number): void {
    const [ex, ey] = src.extent;
    const s = MARGIN * Math.min(w / ex, h / ey); // pixels per domain unit
    const hw = w / (2 * s), hh = h / (2 * s);
    const o = this.ortho;
    o.left = ex / 2 - hw;
    o.right = ex / 2 + hw;
    o.top = ey / 2 + hh;
    o.bottom = ey / 2 - hh;
    o.near = -10;
    o.far = 10;
    o.position.set(0, 0, 1);
    o.updateProjectionMatrix();
  }

  encode(enc: GPUCommandEncoder, state: GPUBuffer, step: number): void {
    this.kernels?.encode(enc, state, step);
    this.placeColliders(step);
    this.marks?.place(step);
  }

  // The state after `step` steps saw each collider at its track's row step - 1 (tracks are per step).
  private placeColliders(step: number): void {
    const dim = this.src?.dim ?? 3;
    for (const { mesh, desc } of this.colliders) {
      const row = <T>(track: T[]) => track[Math.min(Math.max(step - 1, 0), track.length - 1)];
      const p = row(desc.position);
      mesh.position.set(p[0], p[1], dim === 3 ? p[2] : 0);
      const q = desc.orientation ? row(desc.orientation) : null;
      if (!q) mesh.quaternion.identity();
      else if (dim === 2) mesh.quaternion.setFromAxisAngle(Z_AXIS, q[0]);
      else mesh.quaternion.set(q[0], q[1], q[2], q[3]).normalize();
    }
  }

  present(): void {
    if (this.src) this.renderer.render(this.scene, this.camera);
  }

  /** The ray under a canvas point given in normalised device coordinates ([-1, 1], y up), in domain units (interact.ts picks with it). */
  ray(ndcX: number, ndcY: number): { origin: number[]; dir: number[] } {
    scratchRay.setFromCamera(scratchNdc.set(ndcX, ndcY), this.camera);
    const { origin, direction } = scratchRay.ray;
    return { origin: origin.toArray(), dir: direction.toArray() };
  }

  /** Where a domain point (z = 0 in 2D) lands on the canvas, in normalised device coordinates. */
  project(p: number[]): [number, number] {
    const v = scratchPoint.set(p[0], p[1], p[2] ?? 0).project(this.camera);
    return [v.x, v.y];
  }

  takeChanged(): boolean {
    const c = this.changed;
    this.changed = false;
    return c;
  }

  // Frees what the last source made: three's objects and the buffers behind the storage attributes.
  private clear(): void {
    this.kernels?.dispose();
    this.kernels = null;
    for (const o of [...this.content.children]) {
      this.content.remove(o);
      o.traverse((x) => {
        const m = x as THREE.Mesh;
        m.geometry?.dispose();
        (m.material as THREE.Material | undefined)?.dispose();
      });
    }
    const b = this.backend;
    for (const a of this.attrs) {
      a.dispose();
      // Created by gpuBufferOf but never drawn (a sprite binds it as storage): three does not track it.
      const buffer = b.get(a).buffer;
      if (buffer) {
        buffer.destroy();
        b.delete(a);
      }
    }
    this.attrs = [];
    this.colliders = [];
    this.marks = null;
    this.src = null;
  }

  dispose(): void {
    this.clear();
    this.controls.dispose();
    this.renderer.dispose();
  }
}
