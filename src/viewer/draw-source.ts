// What the views need to know about a scene besides its state: which channels drive each item (for
// actuation colours), the loss targets and goals to draw, the grippers' anchors, the ground. Pure
// functions of the scene data (no GPU), so they are tested without a browser.
import { actuationValues } from '../core/periodic';
import type { LossDesc } from '../core/loss';
import type { Scene } from '../simulators';
import type { TargetMark } from './scene-view';

/**
 * Per item, the actuation channels that drive it, as CSR ([n + 1] offsets, then channels): an MPM
 * particle its group's actuator channel; a mass-spring vertex the channels of its actuated springs
 * (one entry per spring). Null where nothing is actuated.
 */
export function actuationMap(scene: Scene, n: number): Uint32Array | null {
  const lists: number[][] = Array.from({ length: n }, () => []);
  if ('particles' in scene) {
    const channel = scene.groups.map((g) => g.actuator?.channel ?? -1);
    scene.particles.group.forEach((g, p) => { if (channel[g] >= 0) lists[p].push(channel[g]); });
  } else {
    const sp = scene.springs;
    sp?.actuator?.forEach((c, s) => {
      if (c < 0) return;
      lists[sp.pairs[2 * s]].push(c);
      lists[sp.pairs[2 * s + 1]].push(c);
    });
  }
  const total = lists.reduce((a, l) => a + l.length, 0);
  if (total === 0) return null;
  const out = new Uint32Array(n + 1 + total);
  let k = 0;
  lists.forEach((l, i) => {
    out[i] = k;
    for (const c of l) out[n + 1 + k++] = c;
  });
  out[n] = k;
  return out;
}

/** The activation at the ends of the colour ramp: a controller's output scale, else the largest open-loop value (1 if all are 0). */
export function actuationMax(scene: Scene): number {
  if (scene.controller) return scene.controller.scale ?? 1;
  let m = 0;
  for (const a of scene.actuation ? actuationValues(scene.actuation, scene.steps) : []) m = Math.max(m, Math.abs(a));
  return m > 0 ? m : 1;
}

/**
 * What the scene's loss and its MPC goal point at: a region-fraction's box, a com-target's point,
 * the MPC goal's waypoints (a track of [step, x, y(, z)] rows), a match-positions' observed
 * positions, a match-pairs' pairs (drawn as lines between the items). Losses with no place in space
 * (travel, speed, control costs) give none.
 */
export function targetMarks(scene: Scene): TargetMark[] {
  const out: TargetMark[] = [];
  const visit = (d: LossDesc, name: string): void => {
    if (d.kind === 'weighted-sum') d.terms.forEach((t, i) => visit(t.loss, `${name}.terms[${i}]`));
    else if (d.kind === 'region-fraction') out.push({ shape: 'box', name, min: d.target.min.slice(), max: d.target.max.slice() });
    else if (d.kind === 'com-target') out.push({ shape: 'point', name, at: d.target.slice() });
    else if (d.kind === 'match-positions') out.push({ shape: 'points', name, points: d.target.map((p) => p.slice()) });
    else if (d.kind === 'match-pairs') out.push({ shape: 'pairs', name, pairs: d.pairs.flat() });
  };
  if (scene.loss) visit(scene.loss, 'loss');
  if (scene.mpc) out.push({ shape: 'point', name: 'mpc.goal', track: scene.mpc.goal.map((r) => r.slice()) });
  return out;
}

/** Where a moving point is at `step`: linear between its [step, ...position] waypoints, held outside them. */
export function trackAt(track: number[][], step: number): number[] {
  if (step <= track[0][0]) return track[0].slice(1);
  for (let k = 1; k < track.length; k++) {
    const [s1] = track[k];
    if (step <= s1) {
      const s0 = track[k - 1][0];
      const u = s1 > s0 ? (step - s0) / (s1 - s0) : 1;
      return track[k].slice(1).map((x, i) => track[k - 1][i + 1] + u * (x - track[k - 1][i + 1]));
    }
  }
  return track[track.length - 1].slice(1);
}

/** Each gripper's track and the offset of its held vertices' centroid from its origin (the track's row 0 by default). */
export function gripperMarks(scene: Scene): { name: string; position: number[][]; offset: number[] }[] {
  if ('particles' in scene) return [];
  const d = scene.dim, x = scene.vertices.x;
  return (scene.grippers ?? []).map((g) => {
    const c = new Array<number>(d).fill(0);
    for (const v of g.vertices) for (let i = 0; i < d; i++) c[i] += x[v * d + i] / g.vertices.length;
    const origin = g.origin ?? g.position[0];
    return { name: g.name, position: g.position, offset: c.map((ci, i) => ci - origin[i]) };
  });
}

/** Height of the ground (axis 1): a spring scene's plane, or the top of an MPM floor with friction (its wall band); null without one. */
export function groundHeight(scene: Scene): number | null {
  if ('particles' in scene) {
    const b = scene.boundary;
    return b.groundFriction === undefined ? null : (b.boundCells ?? 3) * scene.grid.dx;
  }
  return scene.ground ? scene.ground.height : null;
}

/** How far below the ground the drawn floor lies, beyond the contact's softness, as a fraction of the domain's largest side. */
const GROUND_DRAW_GAP = 0.003;

/**
 * Height the ground's surface is drawn at: below groundHeight by the contact's softness (how deep a
 * body at rest sinks into a soft floor) and a little more, so a cloth lying on the floor is drawn
 * over it, not hidden in it.
 */
export function groundDrawHeight(scene: Scene, extent: number[]): number | null {
  const h = groundHeight(scene);
  if (h === null) return null;
  const softness = 'particles' in scene ? 0 : scene.ground?.softness ?? 0;
  return h - softness - GROUND_DRAW_GAP * Math.max(...extent);
}

/** Floats (u32 words) per entry of strainMap's lists: a spring's other end and rest length; a triangle's vertices and inverse rest shape. */
export const STRAIN_ENTRY = { springs: 2, triangles: 7 } as const;

/**
 * What pack.wgsl needs to colour a mass-spring or shell scene by strain, per vertex as CSR ([n + 1]
 * entry offsets, then the entries, STRAIN_ENTRY words each; f32 values stored as their bits):
 * - triangles (shells), preferred where a scene has them: (a, b, c, Dm^-1 row-major), Dm the rest
 *   edges (b - a, c - a) in an orthonormal frame of the rest triangle's plane, so F = Ds Dm^-1 is the
 *   in-plane deformation gradient (3 x 2) and the vertex shows the mean |E|_F, E = (F^T F - I) / 2;
 * - springs: (other end, rest length L), the vertex showing the mean |l / L - 1| (L the scene's rest
 *   length, so an actuated spring's commanded stretch shows too).
 * Null without springs or triangles. Rest lengths and shapes come from the scene (else the initial positions `x0`).
 */
export function strainMap(scene: Scene, x0: Float32Array | number[], stride: number, posOffset: number):
  { kind: 'springs' | 'triangles'; map: Uint32Array } | null {
  if ('particles' in scene) return null;
  const n = scene.vertices.mass.length, d = scene.dim;
  const pos = (v: number) => Array.from({ length: d }, (_, k) => x0[v * stride + posOffset + k]);
  const lists: number[][][] = Array.from({ length: n }, () => []);
  let kind: 'springs' | 'triangles';
  const tris = scene.triangles?.indices;
  if (tris?.length && d === 3) {
    kind = 'triangles';
    for (let t = 0; t < tris.length; t += 3) {
      const [a, b, c] = [tris[t], tris[t + 1], tris[t + 2]];
      const inv = restShapeInverse(pos(a), pos(b), pos(c));
      for (const v of [a, b, c]) lists[v].push([a, b, c, ...inv]);
    }
  } else if (scene.springs?.pairs.length) {
    kind = 'springs';
    const sp = scene.springs;
    for (let s = 0; s < sp.pairs.length / 2; s++) {
      const [i, j] = [sp.pairs[2 * s], sp.pairs[2 * s + 1]];
      const L = sp.restLength?.[s] ?? Math.hypot(...pos(i).map((p, k) => p - pos(j)[k]));
      lists[i].push([j, L]);
      lists[j].push([i, L]);
    }
  } else return null;
  const w = STRAIN_ENTRY[kind];
  const total = lists.reduce((s, l) => s + l.length, 0);
  const map = new Uint32Array(n + 1 + w * total);
  const f = new Float32Array(map.buffer);
  let k = 0;
  lists.forEach((l, i) => {
    map[i] = k;
    for (const e of l) {
      const at = n + 1 + w * k++;
      e.forEach((x, q) => { if (kind === 'springs' ? q === 0 : q < 3) map[at + q] = x; else f[at + q] = x; });
    }
  });
  map[n] = k;
  return { kind, map };
}

// Dm^-1 (row-major 2 x 2) of a rest triangle: its edges b - a, c - a in the frame (t1 along b - a, t2 in the plane).
function restShapeInverse(a: number[], b: number[], c: number[]): number[] {
  const e1 = b.map((x, i) => x - a[i]), e2 = c.map((x, i) => x - a[i]);
  const dot = (p: number[], q: number[]) => p[0] * q[0] + p[1] * q[1] + p[2] * q[2];
  const l1 = Math.sqrt(dot(e1, e1));
  const t1 = e1.map((x) => x / l1);
  const u = e2.map((x, i) => x - dot(e2, t1) * t1[i]);
  const t2 = u.map((x) => x / Math.sqrt(dot(u, u)));
  // Dm = [[e1.t1, e2.t1], [e1.t2, e2.t2]] = [[l1, p], [0, q]]
  const p = dot(e2, t1), q = dot(e2, t2);
  return [1 / l1, -p / (l1 * q), 0, 1 / q];
}
