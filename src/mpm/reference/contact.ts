// Grid-node contacts in float64, as src/shaders/mpm/contact.wgsl and grid_contacts.wgsl: kinematic
// colliders (rounded-box SDF) in index order, then the walls axis by axis.
import { WALL_SLIP, WALL_STICKY, loadCollider, type RefModel } from './ref-model';
import { axpby, ddot, mulVec, norm, rotation, spin, transpose, type Vec } from './small-matrix';

/**
 * Separating contact of relative velocity v with a surface of outward normal n and Coulomb
 * friction mu: if v.n < 0 the normal part is removed and the tangential part shrinks by mu |v.n|.
 */
export function contact(v: Vec, n: Vec, mu: number): Vec {
  const vn = ddot(v, n);
  if (vn >= 0) return Float64Array.from(v);
  const vt = axpby(v, 1, n, -vn);
  if (mu === 0) return vt; // frictionless: the tangential part passes at any length, also zero
  const lt = norm(vt);
  if (lt <= 1e-20) return new Float64Array(v.length);
  return axpby(vt, Math.max(0, 1 + (mu * vn) / lt), vt, 0);
}

/** Signed distance to a rounded box (half extents h, radius r) centred at the origin, and its outward normal. */
export function roundedBoxSdf(p: Vec, h: Vec, r: number): { phi: number; n: Vec } {
  const d = p.length;
  const q = p.map((pi, i) => Math.abs(pi) - h[i]);
  const m = q.map((qi) => Math.max(qi, 0));
  const lm = norm(m);
  let kmax = 0;
  for (let i = 1; i < d; i++) if (q[i] > q[kmax]) kmax = i;
  const sgn = p.map((pi) => (pi >= 0 ? 1 : -1));
  const n = new Float64Array(d);
  // Outside the core box the normal points from its nearest point; inside, along the nearest face.
  if (lm > 1e-12) for (let i = 0; i < d; i++) n[i] = (sgn[i] * m[i]) / lm;
  else n[kmax] = sgn[kmax];
  return { phi: lm + Math.min(q[kmax], 0) - r, n };
}

/** Wall normal of axis d at a node: +1 in the low band, -1 in the high band, 0 elsewhere. */
export function wallNormal(model: RefModel, node: ArrayLike<number>, d: number): Vec {
  const n = new Float64Array(model.dim);
  if (node[d] < model.bound) n[d] = 1;
  else if (node[d] >= model.res[d] - model.bound) n[d] = -1;
  return n;
}

/** One wall: the ground (axis 1, low side) has friction when groundMu >= 0; otherwise the wall kind. */
export function wallContact(model: RefModel, v: Vec, n: Vec, d: number): Vec {
  if (n.every((x) => x === 0)) return Float64Array.from(v);
  if (d === 1 && n[1] > 0 && model.groundMu >= 0) return contact(v, n, model.groundMu);
  if (model.wallKind === WALL_STICKY) return new Float64Array(v.length);
  if (model.wallKind === WALL_SLIP) return axpby(v, 1, n, -ddot(v, n));
  return contact(v, n, 0);
}

/** All contacts of one grid node (integer coordinates `node`) with velocity vIn, at global step `step`. */
export function gridContacts(model: RefModel, node: ArrayLike<number>, vIn: Vec, step: number): Vec {
  let v: Vec = Float64Array.from(vIn);
  const xn = Float64Array.from(node, (i) => i * model.dx);
  for (let k = 0; k < model.nColliders; k++) {
    const col = loadCollider(model, k, step);
    // The shape in its own frame (p = R^T r); the body's velocity at the node, u + w x r.
    const R = rotation(model.dim, col.o);
    const r = axpby(xn, 1, col.c, -1);
    const sd = roundedBoxSdf(mulVec(transpose(R), r), col.h, col.r);
    const ub = axpby(col.u, 1, spin(model.dim, col.w, r), 1);
    // Contact on the velocity relative to the body, against the normal in the world, then back.
    if (sd.phi < 0) v = axpby(ub, 1, contact(axpby(v, 1, ub, -1), mulVec(R, sd.n), col.friction), 1);
  }
  for (let d = 0; d < model.dim; d++) v = wallContact(model, v, wallNormal(model, node, d), d);
  return v;
}
