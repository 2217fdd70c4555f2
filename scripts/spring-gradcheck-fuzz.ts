// Random spring and shell scenes through gradcheck (the GPU adjoint against float64 central
// differences): 2D/3D lattice robots and random spring meshes, cloths (flat, folded over themselves,
// hanging), irregular meshes, OBJ meshes dropped on objDrapeScene's ball; random materials (stretch,
// shear, bending from none to stiff, plastic, dashpots), actuation, ground (friction 0..1, softness
// 0..0.01), moving and turning colliders, grippers, pins, vertex-vertex and vertex-triangle
// self-contact, 5-60 steps, two gradcheck seeds per scene. One JSON line per check run; each scene
// is written to <dir>/s<seed>.json (or .obj), so that `npx torsion gradcheck --scene-file` reruns it.
//
//   npx torsion exec scripts/spring-gradcheck-fuzz.ts <first seed> <count> [out.jsonl] [scene dir]
//
// (out and dir default to the system's temporary folder.) Run one at a time: each check is seconds,
// a new scene's first pipelines on lavapipe up to 20 s.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requestGpu } from '../src/gpu/device';
import { gradcheck } from '../src/core/gradcheck';
import { mulberry32 } from '../src/core/rng';
import { gradcheckSubject } from '../src/index';
import { exportSceneJson } from '../src/mpm/validate';
import { timeStepLimit } from '../src/springs/validate';
import type { ColliderDesc } from '../src/mpm/scene';
import type { SpringScene } from '../src/springs/scene';
import { clothGrid, robotFromCells2d, robotFromVoxels3d, triangleMesh } from '../scenes/spring-builders';
import { objDrapeScene } from '../scenes/obj-drape';


/** A generated scene (or, for kind 'obj', an OBJ file's text) and the features it has, for the table. */
interface Gen { scene?: SpringScene; features: string[]; obj?: string }

/** One seed's random draws; every part of a scene draws from it in a fixed order. */
interface Draws {
  R: () => number;
  U: (a: number, b: number) => number;
  I: (a: number, b: number) => number;
  pick: <T>(xs: T[]) => T;
  logU: (a: number, b: number) => number;
}

function draws(seed: number): Draws {
  const R = mulberry32(seed);
  const U = (a: number, b: number) => a + (b - a) * R();
  return { R, U, I: (a, b) => Math.floor(U(a, b + 1)), pick: (xs) => xs[Math.floor(R() * xs.length)], logU: (a, b) => Math.exp(U(Math.log(a), Math.log(b))) };
}

const KINDS = ['robot2d', 'robot3d', 'mesh2d', 'mesh3d', 'cloth', 'cloth', 'irregular', 'fold', 'hang', 'obj'];

function generate(seed: number): Gen {
  const k = draws(seed * 7717 + 13);
  const kind = KINDS[seed % KINDS.length], feats = [kind];
  const steps = k.I(5, 60);
  const body = kind.startsWith('robot') || kind.startsWith('mesh') ? springBody(k, kind, steps, feats) : shellBody(k, kind, feats);
  if (!('kind' in body)) return { features: feats, obj: body.obj };
  const s = body;
  s.name = `fuzz-${seed}-${kind}`;
  s.steps = steps;
  s.damping = k.R() < 0.3 ? 0 : k.U(0, 2);
  const held = new Set(s.pinned ?? []);
  addGround(k, s, feats);
  addGrippers(k, s, held, feats);
  if (!s.pinned && k.R() < 0.2) {
    s.pinned = freeVertices(s, held).filter(() => k.R() < 0.1).slice(0, 3);
    if (s.pinned.length === 0) delete s.pinned; else feats.push('pinned');
  }
  addColliders(k, s, feats);
  s.extent = Array.from({ length: s.dim }, () => 1);
  return { scene: s, features: feats };
}

/** A DiffTaichi-style lattice robot (a few cells, actuated channels) or random points joined to their nearest neighbours. */
function springBody(k: Draws, kind: string, steps: number, feats: string[]): SpringScene {
  const { R, U, I, pick, logU } = k;
  const dim = kind.endsWith('2d') ? 2 : 3;
  const cell = U(0.04, 0.1);
  let s: SpringScene;
  if (kind.startsWith('robot')) {
    const cells: number[][] = [[0, 0, 0]];
    const ncell = dim === 2 ? I(1, 6) : I(1, 3);
    while (cells.length < ncell) {
      const c = pick(cells).slice();
      const ax = I(0, dim === 2 ? 1 : 2); c[ax] += pick([-1, 1]);
      if (c[1] < 0) c[1] = 0;
      if (!cells.some((q) => q.every((v, i) => v === c[i]))) cells.push(c);
    }
    const channels = I(0, Math.min(3, ncell));
    const actuated = Array.from({ length: channels }, (_, ch) => [ch]);
    const r = dim === 2
      ? robotFromCells2d(cells.map((c) => [c[0], c[1]] as [number, number]), { cell, origin: [0.3, 0.2], mass: U(0.02, 0.1), actuated: channels ? actuated : undefined })
      : robotFromVoxels3d(cells as [number, number, number][], { cell, origin: [0.3, 0.2, 0.3], mass: U(0.02, 0.1), actuated: channels ? actuated : undefined });
    const x = r.vertices.x.map((v) => v + U(-0.1, 0.1) * cell * 0.3);
    const pairs = r.springs.pairs;
    s = baseScene(dim, x, r.vertices.mass.map((m) => m * U(0.5, 1.5)));
    s.springs = { pairs, material: pairs.filter((_, q) => q % 2 === 0).map(() => 0), ...(channels ? { actuator: r.springs.actuator, actuationStrength: U(0.05, 0.4) } : {}) };
    if (channels) {
      s.actuation = { channels, values: Array.from({ length: steps * channels }, (_, q) => U(0.2, 1) * Math.sin(q / U(3, 12) + (q % channels))) };
      feats.push(`act${channels}`);
    }
  } else {
    const n = I(4, 14), x: number[] = [];
    for (let i = 0; i < n; i++) {
      let p: number[];
      do p = Array.from({ length: dim }, (_, a) => (a === 1 ? 0.2 : 0.3) + U(0, 4 * cell));
      while (!Array.from({ length: i }, (_, j) => Math.hypot(...p.map((c, a) => c - x[j * dim + a]))).every((d) => d > 0.4 * cell));
      x.push(...p);
    }
    const pairs = nearestPairs(x, dim, I(2, 4));
    s = baseScene(dim, x, Array.from({ length: n }, () => U(0.02, 0.1)));
    const S = pairs.length / 2;
    const channels = R() < 0.5 ? I(1, 2) : 0;
    const length = (q: number) => Math.hypot(...Array.from({ length: dim }, (_, a) => x[pairs[2 * q] * dim + a] - x[pairs[2 * q + 1] * dim + a]));
    s.springs = { pairs, material: Array.from({ length: S }, () => I(0, 1)) };
    if (R() >= 0.5) { s.springs.restLength = Array.from({ length: S }, (_, q) => length(q) * U(0.85, 1.15)); feats.push('restLen'); }
    if (channels) {
      s.springs.actuator = Array.from({ length: S }, () => (R() < 0.4 ? I(0, channels - 1) : -1));
      s.springs.actuationStrength = U(0.05, 0.3);
      s.actuation = { channels, values: Array.from({ length: steps * channels }, (_, q) => U(-1, 1) * Math.cos(q / U(2, 9))) };
      feats.push(`act${channels}`);
    }
  }
  const nm = s.springs!.material.some((m) => m === 1) ? 2 : 1;
  s.materials = Array.from({ length: nm }, (_, q) => ({ name: `m${q}`, stiffness: logU(50, 3000) * cell, damping: R() < 0.3 ? 0 : logU(0.01, 1) * cell }));
  if (s.materials.some((m) => m.damping > 0)) feats.push('dashpot');
  s.vertices.v = s.vertices.x.map(() => U(-0.3, 0.3));
  return s;
}

/** Each vertex joined to its `kn` nearest others, each pair once. */
function nearestPairs(x: number[], dim: number, kn: number): number[] {
  const n = x.length / dim, seen = new Set<string>(), pairs: number[] = [];
  for (let i = 0; i < n; i++) {
    const ds = Array.from({ length: n }, (_, j) => [Math.hypot(...Array.from({ length: dim }, (_, a) => x[i * dim + a] - x[j * dim + a])), j]).filter(([, j]) => j !== i).sort((a, b) => a[0] - b[0]);
    for (const [, j] of ds.slice(0, kn)) {
      const key = i < j ? `${i},${j}` : `${j},${i}`;
      if (!seen.has(key)) { seen.add(key); pairs.push(Math.min(i, j), Math.max(i, j)); }
    }
  }
  return pairs;
}

/** A cloth (flat, folded over itself or hanging from pins), or an irregular mesh (an OBJ file's text for kind 'obj'). */
function shellBody(k: Draws, kind: string, feats: string[]): SpringScene | { obj: string } {
  const { R, U, I } = k;
  let x: number[], idx: number[], mass: number[];
  const size = U(0.15, 0.45);
  if (kind === 'cloth' || kind === 'fold' || kind === 'hang') {
    const nx = I(2, kind === 'cloth' ? 9 : 7), ny = I(2, 7);
    const m = clothGrid({ nx, ny, size: [size, size * U(0.5, 1.2)], origin: [0.3, 0.3, 0.3], plane: kind === 'hang' ? 'xy' : 'xz', density: U(0.1, 1) });
    x = m.vertices.x; idx = m.triangles.indices; mass = m.vertices.mass;
    feats.push(`${nx}x${ny}`);
    if (kind === 'fold') {
      // fold along x = mid: the far half turned about the fold line by 160-176 degrees, over the near half
      const mid = 0.3 + size * (I(1, nx - 1) / nx);
      const ang = (Math.PI / 180) * U(160, 176);
      for (let i = 0; i < x.length / 3; i++) {
        const dx = x[3 * i] - mid;
        if (dx > 1e-9) { x[3 * i] = mid + dx * Math.cos(ang); x[3 * i + 1] = 0.3 + dx * Math.sin(ang); }
      }
    }
    for (let q = 0; q < x.length; q++) x[q] += (U(-0.02, 0.02) * size) / nx;
  } else {
    const mesh = irregularMesh(k, kind, size);
    if ('obj' in mesh) return mesh;
    ({ x, idx, mass } = mesh);
    feats.push(`irr${mass.length}`);
  }
  const s = baseScene(3, x, mass);
  s.kind = 'shell';
  const T = idx.length / 3;
  const twoMat = R() < 0.3;
  s.triangles = { indices: idx, material: Array.from({ length: T }, (_, t) => (twoMat && t % 3 === 0 ? 1 : 0)) };
  s.materials = shellMaterials(k, twoMat, feats);
  if (R() < 0.25) {
    // springs along some triangles' first edges too
    const pairs: number[] = [];
    for (let t = 0; t < T; t += 3) pairs.push(idx[3 * t], idx[3 * t + 1]);
    s.springs = { pairs, material: pairs.filter((_, q) => q % 2 === 0).map(() => 0) };
    s.materials[0].stiffness = k.logU(0.5, 20);
    s.materials[0].damping = R() < 0.5 ? 0 : k.logU(0.001, 0.05);
    feats.push('+springs');
  }
  const n = mass.length;
  s.vertices.v = Array.from({ length: 3 * n }, () => U(-0.2, 0.2));
  if (kind === 'hang') {
    // pinned at some of the top row
    const topY = Math.max(...x.filter((_, q) => q % 3 === 1));
    const top = Array.from({ length: n }, (_, i) => i).filter((i) => x[3 * i + 1] > topY - 1e-6);
    s.pinned = top.filter(() => R() < 0.5);
    if (s.pinned.length === 0) s.pinned = [top[0]];
    feats.push('pinned');
  }
  if (kind === 'fold' || R() < 0.3) {
    let minEdge = Infinity;
    for (let t = 0; t < T; t++) for (let q = 0; q < 3; q++) {
      const a = idx[3 * t + q], b = idx[3 * t + ((q + 1) % 3)];
      minEdge = Math.min(minEdge, Math.hypot(x[3 * a] - x[3 * b], x[3 * a + 1] - x[3 * b + 1], x[3 * a + 2] - x[3 * b + 2]));
    }
    const tri = R() < 0.5;
    s.selfContact = { thickness: minEdge * U(0.5, 0.95), stiffness: k.logU(5, 300), ...(tri ? { triangles: true } : {}) };
    feats.push(tri ? 'selfVT' : 'selfVV');
  }
  return s;
}

/** A jittered grid cut to an ellipse with random diagonals (kind 'obj': some quads kept, as OBJ text). */
function irregularMesh(k: Draws, kind: string, size: number): { x: number[]; idx: number[]; mass: number[] } | { obj: string } {
  const { R, U, I } = k;
  const nx = I(3, 8), ny = I(3, 8), h = size / nx;
  const P: number[][] = [];
  for (let j = 0; j <= ny; j++) for (let i = 0; i <= nx; i++) P.push([0.3 + i * h + U(-0.25, 0.25) * h, 0.3 + U(-0.3, 0.3) * h, 0.3 + j * h * U(0.95, 1.05) + U(-0.25, 0.25) * h]);
  const faces: number[][] = [];
  const id = (i: number, j: number) => j * (nx + 1) + i;
  for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
    const cx = (i + 0.5) / nx - 0.5, cz = (j + 0.5) / ny - 0.5;
    if (cx * cx + cz * cz > 0.25 * U(0.8, 1.3)) continue;
    const a = id(i, j), b = id(i + 1, j), c = id(i + 1, j + 1), d = id(i, j + 1);
    const q = R();
    if (kind === 'obj' && q < 0.4) faces.push([a, d, c, b]);
    else if (q < 0.7) faces.push([a, d, c], [a, c, b]); else faces.push([a, d, b], [b, d, c]);
  }
  if (kind === 'obj') return { obj: `${P.map((p) => `v ${p.join(' ')}`).join('\n')}\n${faces.map((f) => `f ${f.map((i) => i + 1).join(' ')}`).join('\n')}\n` };
  const used = [...new Set(faces.flat())].sort((a, b) => a - b);
  const map = new Map(used.map((v, q) => [v, q]));
  const m = triangleMesh(used.map((v) => P[v]), faces.map((f) => f.map((v) => map.get(v)!)), { density: U(0.1, 1) });
  return { x: m.vertices.x, idx: m.triangles.indices, mass: m.vertices.mass };
}

/** One or two shell materials: membrane, bending from none to stiff (one draw for both), sometimes plastic. */
function shellMaterials(k: Draws, twoMat: boolean, feats: string[]): SpringScene['materials'] {
  const { R, logU } = k;
  const bendKind = R();
  const mat = () => ({
    name: 'cloth', stiffness: 1, damping: 0, mu: logU(2, 200), lambda: R() < 0.2 ? 0 : logU(1, 100),
    bending: bendKind < 0.2 ? 0 : bendKind < 0.5 ? logU(1e-6, 1e-4) : logU(1e-4, 3e-2),
    ...(R() < 0.3 ? { plastic: { yieldAngle: logU(0.005, 0.3) } } : {}),
  });
  const materials = twoMat ? [mat(), mat()] : [mat()];
  if (materials.some((m) => m.plastic)) feats.push('plastic');
  const bend = Math.max(...materials.map((m) => m.bending));
  feats.push(bend >= 1e-4 ? 'stiffbend' : bend > 0 ? 'limpbend' : 'nobend');
  if (twoMat) feats.push('2mat');
  return materials;
}

const freeVertices = (s: SpringScene, held: Set<number>) => Array.from({ length: s.vertices.mass.length }, (_, i) => i).filter((i) => !held.has(i));

/** The body's bounding box and lowest height. */
function bounds(s: SpringScene): { lo: number[]; hi: number[]; minY: number } {
  const d = s.dim, xs = s.vertices.x;
  const lo = Array.from({ length: d }, (_, a) => Math.min(...xs.filter((_, q) => q % d === a)));
  const hi = Array.from({ length: d }, (_, a) => Math.max(...xs.filter((_, q) => q % d === a)));
  return { lo, hi, minY: lo[1] };
}

/** Ground (7 in 10): touching, just under, or some way under the body; friction 0..1, softness 0..0.01. */
function addGround(k: Draws, s: SpringScene, feats: string[]): void {
  const { R, U, pick } = k;
  if (!(R() < 0.7)) return;
  const { minY } = bounds(s);
  const softness = pick([0, 0, 1e-4, 1e-3, 3e-3, 1e-2]);
  const gapMode = R();
  const height = gapMode < 0.4 ? minY + softness * U(0, 0.9) : gapMode < 0.7 ? minY - U(0, 0.005) : minY - U(0.005, 0.05);
  s.ground = { height, friction: pick([0, 1, U(0, 1), U(0, 1)]), softness };
  feats.push(`ground(mu=${s.ground.friction.toFixed(2)},soft=${softness}${gapMode < 0.4 ? ',touch' : ''})`);
}

/** One or two grippers (35 in 100) of up to 3 free vertices each, on a drifting, wobbling track (or held). */
function addGrippers(k: Draws, s: SpringScene, held: Set<number>, feats: string[]): void {
  const { R, U, I } = k;
  if (!(R() < 0.35)) return;
  const d = s.dim, xs = s.vertices.x, free = freeVertices(s, held), grippers: NonNullable<SpringScene['grippers']> = [];
  const G = I(1, 2);
  for (let g = 0; g < G; g++) {
    const verts = free.filter(() => R() < 0.15).slice(0, 3).filter((i) => !grippers.some((q) => q.vertices.includes(i)));
    if (verts.length === 0) continue;
    verts.forEach((v) => held.add(v));
    const p0 = verts.map((i) => xs.slice(i * d, i * d + d)).reduce((a, b) => a.map((c, q) => c + b[q] / verts.length), new Array(d).fill(0));
    const vel = Array.from({ length: d }, () => U(-0.3, 0.3)), freq = U(0, 0.3), amp = U(0, 0.01);
    const rows = R() < 0.2 ? 1 : s.steps;
    grippers.push({ name: `g${g}`, vertices: verts, position: Array.from({ length: rows }, (_, t) => p0.map((c, a) => c + (t === 0 ? 0 : vel[a] * 0.002 * t + amp * Math.sin(freq * t + a)))) });
  }
  if (grippers.length > 0) { s.grippers = grippers; feats.push(`grip${grippers.length}`); }
}

/**
 * One or two colliders (55 in 100): box, sphere or capsule under the body, touching it or not,
 * fixed or moving up and sideways, turning or not, friction 0..1; colliderSoftness 0..5e-3.
 */
function addColliders(k: Draws, s: SpringScene, feats: string[]): void {
  const { R, U, pick } = k;
  if (!(R() < 0.55)) return;
  const d = s.dim, steps = s.steps, { lo, hi, minY } = bounds(s);
  const ctr = lo.map((l, a) => (l + hi[a]) / 2);
  const C = R() < 0.75 ? 1 : 2;
  s.colliders = [];
  for (let c = 0; c < C; c++) {
    const shape = pick(['box', 'sphere', 'capsule'] as const);
    const r = U(0.02, 0.08);
    const he = shape === 'box' ? Array.from({ length: d }, () => U(0.02, 0.1)) : shape === 'capsule' ? Array.from({ length: d }, (_, a) => (a === 0 ? U(0.02, 0.08) : 0)) : undefined;
    const bound = (he ? Math.hypot(...he) : 0) + r;
    const touch = R() < 0.5;
    const pos = ctr.map((x, a) => (a === 1 ? minY - bound - (touch ? -U(0, 0.3) * bound : U(0.0, 0.05)) : x + U(-0.5, 0.5) * (hi[a] - lo[a])));
    const vel = Array.from({ length: d }, (_, a) => (a === 1 ? U(0, 0.5) : U(-0.3, 0.3)));
    const turning = R() < 0.5;
    const friction = pick([0, U(0, 1), 1]);
    const moving = R() < 0.7;
    const desc: ColliderDesc = {
      name: `c${c}`, shape, radius: r, friction, ...(he ? { halfExtents: he } : {}),
      // the position track steps as 2 ms at vel, whatever the scene's dt: the tracks are inputs, not one motion
      position: moving ? Array.from({ length: steps }, (_, t) => pos.map((p, a) => p + vel[a] * 0.002 * t)) : [pos],
      velocity: moving ? [vel.map((v) => (v * 0.002) / 0.002)] : [new Array(d).fill(0)],
    };
    if (turning) {
      const w = U(-3, 3), a0 = U(0, 3);
      const v3 = [U(-1, 1), U(-1, 1), U(-1, 1)], l = Math.hypot(...v3), ax = v3.map((q) => q / l);
      const ang = (t: number) => a0 + w * 0.002 * t;
      desc.orientation = Array.from({ length: steps }, (_, t) => (d === 2 ? [ang(t)] : [...ax.map((q) => q * Math.sin(ang(t) / 2)), Math.cos(ang(t) / 2)]));
      desc.angularVelocity = [d === 2 ? [w] : ax.map((q) => q * w)];
    }
    s.colliders.push(desc);
    feats.push(`${shape}${moving ? 'Mov' : ''}${turning ? 'Turn' : ''}${touch ? 'Touch' : ''}`);
  }
  s.colliderSoftness = pick([0, 1e-3, 5e-3]);
}

function baseScene(dim: 2 | 3, x: number[], mass: number[]): SpringScene {
  return {
    kind: 'springs', name: 'fuzz', dim, dt: 1e-3, steps: 10, gravity: dim === 2 ? [0, -9.8] : [0, -9.8, 0], extent: dim === 2 ? [1, 1] : [1, 1, 1],
    materials: [], vertices: { x, v: new Array(x.length).fill(0), mass },
  };
}

/**
 * dt at 0.2-0.65 of the stability limit (at most 2 ms), and the self-contact stiffness capped so that
 * a contact pair of the lightest vertex stays stable (kc dt^2 / m <= 0.3).
 */
function setDt(s: SpringScene, seed: number): void {
  const R = mulberry32(seed * 31 + 7);
  s.dt = Math.min(2e-3, timeStepLimit(s).dtMax * (0.2 + 0.45 * R()));
  if (s.selfContact) s.selfContact.stiffness = Math.min(s.selfContact.stiffness, (0.3 * Math.min(...s.vertices.mass)) / (s.dt * s.dt));
}

/** The scene of a seed, ready to check: dt set, a collider that starts inside a free vertex lowered until clear. */
function sceneOf(seed: number, dir: string): Gen & { scene: SpringScene } {
  const g = generate(seed);
  if (g.obj) {
    writeFileSync(`${dir}/s${seed}.obj`, g.obj);
    const sc = objDrapeScene(g.obj, { name: `fuzz-${seed}-obj` }).scene;
    // lowered onto the ball, so that contact happens within the steps
    const drop = Math.min(...sc.vertices.x.filter((_, k) => k % 3 === 1)) - 0.46;
    sc.vertices.x = sc.vertices.x.map((v, k) => (k % 3 === 1 ? v - drop : v));
    sc.steps = 5 + (seed % 50);
    return { ...g, scene: sc };
  }
  const scene = g.scene!;
  for (let k = 0; ; k++) {
    try { setDt(scene, seed); break; } catch (e) {
      const m = /inside colliders\[(\d+)\]/.exec(String(e));
      if (!m || k > 8) throw e;
      const c = scene.colliders![Number(m[1])];
      c.position = c.position.map((r) => r.map((v, a) => (a === 1 ? v - 0.01 : v)));
    }
  }
  return { ...g, scene };
}

const [first, count, out = join(tmpdir(), 'spring-fuzz.jsonl'), dir = join(tmpdir(), 'spring-fuzz-scenes')] = process.argv.slice(2);
mkdirSync(dir, { recursive: true });
const gpu = await requestGpu();
for (let seed = Number(first); seed < Number(first) + Number(count); seed++) {
  let g: Gen & { scene: SpringScene };
  try { g = sceneOf(seed, dir); } catch (e) {
    appendFileSync(out, JSON.stringify({ seed, genError: String(e) }) + '\n');
    continue;
  }
  const s = g.scene;
  writeFileSync(`${dir}/s${seed}.json`, exportSceneJson(s));
  for (const cs of [1, 2]) {
    const t0 = Date.now();
    const subject = await gradcheckSubject(gpu, s);
    try {
      const r = await gradcheck(subject, { seed: cs, steps: s.steps });
      const verdicts: Record<string, number> = {};
      for (const c of r.checks) verdicts[c.verdict] = (verdicts[c.verdict] ?? 0) + 1;
      const flagged = r.checks.filter((c) => c.verdict !== 'ok').map((c) => ({ p: c.param, v: c.verdict, a: c.analytic, n: c.numeric, f: c.numericFiner, sp: c.spread, t: c.tangent, re: c.relError }));
      appendFileSync(out, JSON.stringify({ seed, cs, steps: s.steps, n: s.vertices.mass.length, dt: s.dt, features: g.features, verdicts, ok: r.ok, maxRel: r.maxRelError, secs: (Date.now() - t0) / 1000, flagged }) + '\n');
      console.log(seed, cs, g.features.join(' '), 'n', s.vertices.mass.length, 'steps', s.steps, JSON.stringify(verdicts), r.ok ? 'PASS' : 'FAIL');
    } catch (e) {
      appendFileSync(out, JSON.stringify({ seed, cs, features: g.features, error: String((e as Error).stack ?? e).slice(0, 800) }) + '\n');
      console.log(seed, cs, 'ERROR', String(e).slice(0, 300));
    } finally {
      subject.destroy?.();
    }
  }
}
gpu.destroy();
