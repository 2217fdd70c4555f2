// The rules of a spring or shell scene that relate its arrays to each other: every index names a
// vertex, a material or a channel that exists; no spring or triangle collapses to a point or a
// line; a bending hinge joins exactly two triangles; pinned and gripped vertices are each held
// once; self-contact is thinner than the shortest rest edge. One pass over each array, after the
// schema (schema.ts) has checked types, ranges and lengths.
import type { SpringScene } from './scene';
import { fmt, fmtUp, fmtDown, sceneError, show } from '../core/scene-error';
import { MAX_SPAN_CELLS, SC_CELL } from './layout';

/** A triangle whose area is at most this times its longest edge squared is degenerate. */
export const MIN_TRIANGLE_SHAPE = 1e-12;

function distance(x: number[], dim: number, i: number, j: number): number {
  let d2 = 0;
  for (let a = 0; a < dim; a++) d2 += (x[i * dim + a] - x[j * dim + a]) ** 2;
  return Math.sqrt(d2);
}

function checkVertex(field: string, i: number, owner: string, n: number): void {
  if (i >= n) {
    throw sceneError(field, show(i), `is not a vertex (${owner} names vertex ${i}, but there are ${n} vertices)`, `integers in [0, ${n - 1}]`);
  }
}

function checkMaterial(field: string, m: number, owner: string, count: number): void {
  if (m >= count) {
    throw sceneError(field, show(m), `is not a material (${owner} uses material ${m}, but there are ${count} materials)`, `integers in [0, ${count - 1}]`);
  }
}

/** Spring endpoints in range and distinct, materials and channels that exist, no zero initial length where it is the rest length. */
export function checkSprings(s: SpringScene): void {
  const sp = s.springs;
  if (!sp) return;
  const n = s.vertices.mass.length, nMat = s.materials.length, channels = s.actuation?.channels ?? 0;
  for (let k = 0; k < sp.pairs.length / 2; k++) {
    const i = sp.pairs[2 * k], j = sp.pairs[2 * k + 1];
    checkVertex(`springs.pairs[${2 * k}]`, i, `spring ${k}`, n);
    checkVertex(`springs.pairs[${2 * k + 1}]`, j, `spring ${k}`, n);
    const both = `springs.pairs[${2 * k}..${2 * k + 1}]`;
    if (i === j) throw sceneError(both, `[${i}, ${j}] (spring ${k})`, 'joins a vertex to itself', 'two different vertices');
    checkMaterial(`springs.material[${k}]`, sp.material[k], `spring ${k}`, nMat);
    const a = sp.actuator?.[k] ?? -1;
    if (a >= channels) {
      throw sceneError(`springs.actuator[${k}]`, show(a), `is not an actuation channel (spring ${k})`,
        channels === 0 ? '-1 only: the scene has no actuation (add scene.actuation)'
          : `integers in [-1, ${channels - 1}] (-1: none; actuation.channels = ${channels})`);
    }
    if (!sp.restLength && !(distance(s.vertices.x, s.dim, i, j) > 0)) {
      throw sceneError(both, `[${i}, ${j}] (spring ${k}, initial length 0)`,
        'has no rest length: without springs.restLength it is the initial distance, and the two vertices coincide',
        'endpoints at distinct positions, or springs.restLength > 0');
    }
  }
}

/** Triangle corners in range and distinct, no degenerate triangle, materials that exist, and manifold edges where triangles bend. */
export function checkTriangles(s: SpringScene): void {
  const tr = s.triangles;
  if (!tr) return;
  const n = s.vertices.mass.length, x = s.vertices.x, nMat = s.materials.length;
  for (let t = 0; t < tr.indices.length / 3; t++) {
    const c = tr.indices.slice(3 * t, 3 * t + 3);
    c.forEach((i, k) => checkVertex(`triangles.indices[${3 * t + k}]`, i, `triangle ${t}`, n));
    const all = `triangles.indices[${3 * t}..${3 * t + 2}]`;
    if (c[0] === c[1] || c[1] === c[2] || c[0] === c[2]) {
      throw sceneError(all, `${show(c)} (triangle ${t})`, 'repeats a vertex', 'three distinct vertices');
    }
    const area = triangleArea(x, c[0], c[1], c[2]);
    const longest = Math.max(distance(x, 3, c[0], c[1]), distance(x, 3, c[1], c[2]), distance(x, 3, c[2], c[0]));
    const floor = MIN_TRIANGLE_SHAPE * longest ** 2;
    if (!(area > floor)) {
      throw sceneError(all, `${show(c)} (triangle ${t}, area ${fmt(area)})`, 'is degenerate: its corners are collinear or coincide',
        `area > ${MIN_TRIANGLE_SHAPE} x longest edge^2 = ${fmtUp(floor)}`);
    }
    checkMaterial(`triangles.material[${t}]`, tr.material[t], `triangle ${t}`, nMat);
  }
  checkDuplicates(s);
  checkManifold(s);
}

// The same three corners twice (in either winding: exporters write both sides of a two-sided
// face) would double the membrane there, and a hinge between a triangle and its copy never bends.
function checkDuplicates(s: SpringScene): void {
  const idx = s.triangles!.indices, n = s.vertices.mass.length;
  // triangles by their two lowest corners (a * n + b), then compared on the third: the first one
  // per pair in `first`, any others in `more` (an edge is rarely the lowest pair of many triangles)
  const first = new Map<number, number>(), more = new Map<number, number[]>();
  const third = new Int32Array(idx.length / 3);
  for (let t = 0; t < idx.length / 3; t++) {
    let a = idx[3 * t], b = idx[3 * t + 1], c = idx[3 * t + 2];
    if (a > b) [a, b] = [b, a];
    if (b > c) [b, c] = [c, b];
    if (a > b) [a, b] = [b, a];
    third[t] = c;
    const key = a * n + b, u0 = first.get(key);
    if (u0 === undefined) { first.set(key, t); continue; }
    const twin = [u0, ...(more.get(key) ?? [])].find((u) => third[u] === c);
    if (twin !== undefined) {
      throw sceneError(`triangles.indices[${3 * t}..${3 * t + 2}]`, `${show(idx.slice(3 * t, 3 * t + 3))} (triangle ${t})`,
        `has the same corners as triangle ${twin} (${show(idx.slice(3 * twin, 3 * twin + 3))}): a duplicate face`, 'each triangle once (one side of a two-sided face)');
    }
    const list = more.get(key);
    if (list) list.push(t); else more.set(key, [t]);
  }
}

function triangleArea(x: number[], a: number, b: number, c: number): number {
  const u = [0, 1, 2].map((k) => x[3 * b + k] - x[3 * a + k]);
  const w = [0, 1, 2].map((k) => x[3 * c + k] - x[3 * a + k]);
  return 0.5 * Math.hypot(u[1] * w[2] - u[2] * w[1], u[2] * w[0] - u[0] * w[2], u[0] * w[1] - u[1] * w[0]);
}

// A hinge bends two triangles about their shared edge: an edge of three or more has no pair to
// bend, which only matters where a triangle on it has a material with bending > 0.
function checkManifold(s: SpringScene): void {
  const tr = s.triangles!;
  const bends = (t: number) => (s.materials[tr.material[t]].bending ?? 0) > 0;
  const T = tr.indices.length / 3, n = s.vertices.mass.length;
  let any = false;
  for (let t = 0; t < T && !any; t++) any = bends(t);
  if (!any) return;
  const key = (t: number, e: number) => {
    const i = tr.indices[3 * t + e], j = tr.indices[3 * t + ((e + 1) % 3)];
    return Math.min(i, j) * n + Math.max(i, j);
  };
  const count = new Map<number, number>();
  for (let t = 0; t < T; t++) for (let e = 0; e < 3; e++) count.set(key(t, e), (count.get(key(t, e)) ?? 0) + 1);
  for (let t = 0; t < T; t++) {
    if (!bends(t)) continue;
    for (let e = 0; e < 3; e++) {
      const k = key(t, e), c = count.get(k)!;
      if (c <= 2) continue;
      const m = tr.material[t];
      throw sceneError(`triangles.indices[${3 * t}..${3 * t + 2}]`, `edge ${Math.floor(k / n)}-${k % n} (shared by ${c} triangles, triangle ${t} among them)`,
        'is non-manifold: a bending hinge joins exactly two triangles',
        `at most 2 triangles per edge where a triangle bends (materials[${m}].bending = ${show(s.materials[m].bending)}), or bending 0`);
    }
  }
}

/** Pinned vertices in range and listed once; gripped vertices in range, not pinned, each in one gripper. */
export function checkVertexSets(s: SpringScene): void {
  const n = s.vertices.mass.length;
  // Where each vertex is held: k + 1 for pinned[k]; for grippers, g + 1.
  const pinnedAt = new Int32Array(n), gripper = new Int32Array(n);
  (s.pinned ?? []).forEach((i, k) => {
    checkVertex(`pinned[${k}]`, i, `pinned[${k}]`, n);
    if (pinnedAt[i]) throw sceneError(`pinned[${k}]`, show(i), `repeats pinned[${pinnedAt[i] - 1}]`, 'each vertex at most once');
    pinnedAt[i] = k + 1;
  });
  (s.grippers ?? []).forEach((g, k) => {
    g.vertices.forEach((i, j) => {
      const f = `grippers[${k}].vertices[${j}]`;
      checkVertex(f, i, `grippers[${k}] "${g.name}"`, n);
      if (pinnedAt[i]) {
        throw sceneError(f, show(i), `is pinned (pinned[${pinnedAt[i] - 1}]): a gripper cannot hold it`, 'vertices that are not pinned');
      }
      if (gripper[i]) {
        const h = gripper[i] - 1;
        throw sceneError(f, show(i), h === k ? 'is listed twice in this gripper' : `is already held by grippers[${h}] "${s.grippers![h].name}"`,
          'each vertex in at most one gripper, once');
      }
      gripper[i] = k + 1;
    });
  });
}

/** Longest rest edge, in thicknesses, vertex-triangle contact takes (a triangle may stretch about 15% past it before a search is skipped). */
export const MAX_TRI_EDGE = 6;

/** Self-contact repels vertices closer than `thickness`: thicker than a rest edge, it would push an element's own ends apart. */
export function checkSelfContact(s: SpringScene): void {
  const sc = s.selfContact;
  if (!sc) return;
  if (sc.triangles && !(s.triangles?.indices.length)) {
    throw sceneError('selfContact.triangles', 'true', `asks for vertex-triangle contact, but the scene has no triangles${s.dim === 2 ? ' (a 2D scene has none)' : ''}`,
      'false or absent, or triangles in a 3D scene');
  }
  const x = s.vertices.x;
  let shortest = Infinity, where = '';
  const sp = s.springs;
  for (let k = 0; sp && k < sp.pairs.length / 2; k++) {
    const i = sp.pairs[2 * k], j = sp.pairs[2 * k + 1];
    const L = sp.restLength?.[k] ?? distance(x, s.dim, i, j);
    if (L < shortest) [shortest, where] = [L, `spring ${k}, vertices ${i}-${j}`];
  }
  const tr = s.triangles;
  for (let t = 0; tr && t < tr.indices.length / 3; t++) {
    for (let e = 0; e < 3; e++) {
      const i = tr.indices[3 * t + e], j = tr.indices[3 * t + ((e + 1) % 3)];
      const L = distance(x, 3, i, j);
      if (L < shortest) [shortest, where] = [L, `triangle ${t}, edge ${i}-${j}`];
    }
  }
  if (sc.triangles) {
    // the vertex side's search box spans (thickness + reach) / cell per side, reach the longest edge
    // from a triangle's anchor: within MAX_SPAN_CELLS cells per axis up to about 6.9 thicknesses
    let longest = 0, at = '';
    for (let t = 0; t < tr!.indices.length / 3; t++) {
      for (let e = 0; e < 3; e++) {
        const i = tr!.indices[3 * t + e], j = tr!.indices[3 * t + ((e + 1) % 3)];
        const L = distance(x, 3, i, j);
        if (L > longest) [longest, at] = [L, `triangle ${t}, edge ${i}-${j}`];
      }
    }
    if (longest > MAX_TRI_EDGE * sc.thickness) {
      throw sceneError('selfContact.triangles', 'true', `with thickness ${show(sc.thickness)}: the rest length ${fmt(longest)} of ${at} is more than ${MAX_TRI_EDGE} thicknesses (the contact search spans at most ${MAX_SPAN_CELLS} cells of ${SC_CELL} thicknesses per axis)`,
        `false, or a thickness of at least ${fmtUp(longest / MAX_TRI_EDGE)}, or a finer mesh`);
    }
  }
  if (sc.thickness > shortest) {
    throw sceneError('selfContact.thickness', show(sc.thickness), 'is more than the shortest rest edge',
      `> 0 and <= ${fmtDown(shortest)} (the rest length ${fmt(shortest)} of ${where})`);
  }
}
