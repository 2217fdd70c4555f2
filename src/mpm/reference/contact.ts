// Grid-node contacts in float64, as src/shaders/mpm/contact.wgsl and grid_contacts.wgsl: kinematic
// colliders (rounded-box SDF) in index order, then the walls axis by axis. The step's collider
// poses are computed once (colliderFrames), and nodeContacts works in place on scratch arrays, so
// the grid update allocates nothing per node; the plain functions below wrap them.
import { WALL_SLIP, WALL_STICKY, loadCollider, type RefModel } from './ref-model';
import { rotation, type Mat, type Vec } from './small-matrix';

/** dst = contact(v, n, mu) for vectors of length d; dst may alias v. */
export function contactInto(dst: Vec, v: Vec, n: Vec, mu: number, d: number): Vec {
  let vn = 0;
  for (let i = 0; i < d; i++) vn += v[i] * n[i];
  if (vn >= 0) {
    if (dst !== v) for (let i = 0; i < d; i++) dst[i] = v[i];
    return dst;
  }
  let lt = 0;
  for (let i = 0; i < d; i++) { dst[i] = v[i] + n[i] * -vn; lt += dst[i] * dst[i]; }
  if (mu === 0) return dst; // frictionless: the tangential part passes at any length, also zero
  lt = Math.sqrt(lt);
  if (lt <= 1e-20) { for (let i = 0; i < d; i++) dst[i] = 0; return dst; }
  const s = Math.max(0, 1 + (mu * vn) / lt);
  for (let i = 0; i < d; i++) dst[i] = dst[i] * s + dst[i] * 0;
  return dst;
}

/**
 * Separating contact of relative velocity v with a surface of outward normal n and Coulomb
 * friction mu: if v.n < 0 the normal part is removed and the tangential part shrinks by mu |v.n|.
 */
export function contact(v: Vec, n: Vec, mu: number): Vec {
  return contactInto(new Float64Array(v.length), v, n, mu, v.length);
}

/**
 * A node is covered by a collider only where phi < -CONTACT_TIE dx, and inside the core a later face
 * is the nearer only by more than that: grid_contacts.wgsl's constant, so that nodes exactly on a
 * surface or between two faces (a collider at round numbers) take the GPU's side, not rounding's.
 */
export const CONTACT_TIE = 2 ** -10;

/**
 * The adjoint takes the mean of the normal's two sides at a node within KINK_ROUNDING (|x_node| +
 * |c|, L1) of a face of a collider's core (grid_contacts.wgsl kink_band): float32's rounding of the
 * node's local coordinates, within which it cannot tell the sides apart.
 */
export const KINK_ROUNDING = 2 ** -20;

/**
 * Signed distance of p to a rounded box (half extents h, radius r); its outward normal into nOut; q:
 * scratch. Inside the core, and within `tie` of it, the normal is along the nearest face, a later
 * axis's face being the nearer only by more than `tie` (contact.wgsl rounded_box_sdf).
 */
export function sdfInto(p: Vec, h: Vec, r: number, nOut: Vec, q: Vec, d: number, tie = 0): number {
  let lm = 0, kmax = 0;
  for (let i = 0; i < d; i++) {
    q[i] = Math.abs(p[i]) - h[i];
    const m = Math.max(q[i], 0);
    lm += m * m;
    if (i > 0 && q[i] > q[kmax] + tie) kmax = i;
  }
  lm = Math.sqrt(lm);
  // Outside the core box the normal points from its nearest point; inside, along the nearest face.
  for (let i = 0; i < d; i++) {
    const sgn = p[i] >= 0 ? 1 : -1;
    nOut[i] = lm > Math.max(tie, 1e-12) ? (sgn * Math.max(q[i], 0)) / lm : i === kmax ? (p[i] >= -tie ? 1 : -1) : 0;
  }
  return lm + Math.min(q[kmax], 0) - r;
}

/** Signed distance to a rounded box (half extents h, radius r) centred at the origin, and its outward normal. */
export function roundedBoxSdf(p: Vec, h: Vec, r: number): { phi: number; n: Vec } {
  // sgn_i m_i is p_i on an axis of zero extent, smooth through p_i = 0 (the GPU's Jacobian keeps
  // that column there: rounded_box_sdf in contact.wgsl); on a face of the core it has a kink.
  const n = new Float64Array(p.length);
  return { phi: sdfInto(p, h, r, n, new Float64Array(p.length), p.length), n };
}

/** Wall normal of axis d at a node: +1 in the low band, -1 in the high band, 0 elsewhere. */
export function wallNormal(model: RefModel, node: ArrayLike<number>, d: number): Vec {
  const n = new Float64Array(model.dim);
  n[d] = wallSide(model, node, d);
  return n;
}

function wallSide(model: RefModel, node: ArrayLike<number>, d: number): number {
  return node[d] < model.bound ? 1 : node[d] >= model.res[d] - model.bound ? -1 : 0;
}

/** wallContact() into dst (may alias v). */
function wallContactInto(dst: Vec, model: RefModel, v: Vec, n: Vec, d: number): Vec {
  const dim = model.dim;
  let zero = true;
  for (let i = 0; i < dim; i++) if (n[i] !== 0) zero = false;
  if (zero) { if (dst !== v) dst.set(v); return dst; }
  if (d === 1 && n[1] > 0 && model.groundMu >= 0) return contactInto(dst, v, n, model.groundMu, dim);
  if (model.wallKind === WALL_STICKY) return dst.fill(0);
  if (model.wallKind === WALL_SLIP) {
    let vn = 0;
    for (let i = 0; i < dim; i++) vn += v[i] * n[i];
    for (let i = 0; i < dim; i++) dst[i] = v[i] + n[i] * -vn;
    return dst;
  }
  return contactInto(dst, v, n, 0, dim);
}

/** One wall: the ground (axis 1, low side) has friction when groundMu >= 0; otherwise the wall kind. */
export function wallContact(model: RefModel, v: Vec, n: Vec, d: number): Vec {
  return wallContactInto(new Float64Array(v.length), model, v, n, d);
}

/** A collider at one step: the raw track values and its rotation matrix. */
export interface ColliderFrame { friction: number; r: number; h: Vec; c: Vec; u: Vec; w: Vec; R: Mat }

/** The colliders' poses at global step `step`, in index order. */
export function colliderFrames(model: RefModel, step: number): ColliderFrame[] {
  return Array.from({ length: model.nColliders }, (_, k) => {
    const col = loadCollider(model, k, step);
    return { friction: col.friction, r: col.r, h: col.h, c: col.c, u: col.u, w: col.w, R: rotation(model.dim, col.o) };
  });
}

/** Scratch vectors of nodeContacts. */
export interface ContactScratch { r: Vec; p: Vec; q: Vec; n: Vec; nw: Vec; ub: Vec }

export function contactScratch(dim: number): ContactScratch {
  const v = () => new Float64Array(dim);
  return { r: v(), p: v(), q: v(), n: v(), nw: v(), ub: v() };
}

/** Every contact of the node at integer coordinates `node` applied to v, in place. */
export function nodeContacts(model: RefModel, frames: ColliderFrame[], node: ArrayLike<number>, v: Vec, ws: ContactScratch): void {
  const d = model.dim, { r, p, q, n, nw, ub } = ws;
  const tie = CONTACT_TIE * model.dx;
  for (const f of frames) {
    const R = f.R;
    for (let i = 0; i < d; i++) r[i] = node[i] * model.dx - f.c[i];
    // The shape in its own frame (p = R^T r); the body's velocity at the node, u + w x r.
    for (let i = 0; i < d; i++) { let s = 0; for (let j = 0; j < d; j++) s += R[i * d + j] * r[j]; p[i] = s; }
    if (!(sdfInto(p, f.h, f.r, n, q, d, tie) < -tie)) continue;
    const w = f.w;
    if (d === 2) { ub[0] = f.u[0] + -w[0] * r[1]; ub[1] = f.u[1] + w[0] * r[0]; } else {
      ub[0] = f.u[0] + (w[1] * r[2] - w[2] * r[1]);
      ub[1] = f.u[1] + (w[2] * r[0] - w[0] * r[2]);
      ub[2] = f.u[2] + (w[0] * r[1] - w[1] * r[0]);
    }
    // Contact on the velocity relative to the body, against the normal in the world, then back.
    for (let i = 0; i < d; i++) { let s = 0; for (let j = 0; j < d; j++) s += R[j * d + i] * n[j]; nw[i] = s; }
    for (let i = 0; i < d; i++) v[i] = v[i] - ub[i];
    contactInto(v, v, nw, f.friction, d);
    for (let i = 0; i < d; i++) v[i] = ub[i] + v[i];
  }
  for (let a = 0; a < d; a++) {
    n.fill(0);
    n[a] = wallSide(model, node, a);
    wallContactInto(v, model, v, n, a);
  }
}

/** All contacts of one grid node (integer coordinates `node`) with velocity vIn, at global step `step`. */
export function gridContacts(model: RefModel, node: ArrayLike<number>, vIn: Vec, step: number): Vec {
  const v = Float64Array.from(vIn);
  nodeContacts(model, colliderFrames(model, step), node, v, contactScratch(model.dim));
  return v;
}
