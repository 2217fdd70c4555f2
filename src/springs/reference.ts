// The float64 reference of one SpringSim step, function for function with the WGSL (forces.wgsl,
// contact.wgsl, contact.tri.wgsl, step.wgsl): the oracle of the forward tests and of gradcheck's central differences.
// Elements are summed by scattering to their vertices (the GPU gathers); that differs only in rounding.
import { colliderRow, FLAG_FREE, FLAG_GRIPPER, FLAG_PINNED, MAT_STRIDE, type SpringModel } from './model';

type V = number[];
const sub = (a: V, b: V): V => a.map((x, i) => x - b[i]);
const add = (a: V, b: V): V => a.map((x, i) => x + b[i]);
const scale = (a: V, s: number): V => a.map((x) => x * s);
const dot = (a: V, b: V) => a.reduce((s, x, i) => s + x * b[i], 0);
const cross = (a: V, b: V): V => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const norm = (a: V) => Math.sqrt(dot(a, a));

/** Contact velocity slack: |vt| is taken as sqrt(|vt|^2 + ETA^2) so friction stays smooth at rest. */
export const CONTACT_ETA = 1e-6;

/** max(z, 0) with its corner rounded over [0, kappa] (model.wgsl `soft`). */
export function softRef(z: number, kappa: number): number {
  if (z <= 0) return 0;
  if (z >= kappa) return z - kappa / 2;
  return (z * z) / (2 * kappa);
}

/** contact.wgsl `contact`: velocity w of a point at signed distance phi (normal n) from a surface moving at V. */
export function contactRef(w: V, V: V, phi: number, n: V, mu: number, kappa: number, dt: number): V {
  const u = sub(w, V);
  const un = dot(u, n);
  const gap = phi + dt * un;
  const delta = softRef(-gap, kappa) / dt;
  const ut = sub(u, scale(n, un));
  const lt = Math.sqrt(dot(ut, ut) + CONTACT_ETA * CONTACT_ETA);
  const s = Math.max(0, 1 - (mu * delta) / lt);
  return add(V, add(scale(n, un + delta), scale(ut, s)));
}

/** The rounded box's signed distance and outward normal at local point p (contact.wgsl, as MPM's). */
export function roundedBoxRef(p: V, h: V, r: number): { phi: number; n: V } {
  const q = p.map((x, i) => Math.abs(x) - h[i]);
  const m = q.map((x) => Math.max(x, 0));
  const lm = norm(m);
  let k = 0;
  for (let i = 1; i < p.length; i++) if (q[i] > q[k]) k = i;
  const phi = lm + Math.min(q[k], 0) - r;
  const sgn = p.map((x) => (x >= 0 ? 1 : -1));
  const n = lm > 1e-12 ? m.map((x, i) => (sgn[i] * x) / lm) : p.map((_, i) => (i === k ? sgn[k] : 0));
  return { phi, n };
}

/**
 * A hinge with a collapsed edge or wing (height under 1e-6 of the edge) bends nothing and a plastic
 * one keeps its rest angle: shell.wgsl's hinge_collapsed.
 */
export function hingeCollapsed(xa: V, xb: V, xc: V, xd: V): boolean {
  const e = sub(xb, xa);
  return collapsed(e, cross(e, sub(xc, xa)), cross(sub(xa, xb), sub(xd, xb)));
}
function collapsed(e: V, n1: V, n2: V): boolean {
  const ee = dot(e, e), floor = 1e-12 * ee * ee;
  return !(ee > 0 && dot(n1, n1) > floor && dot(n2, n2) > floor);
}

/** theta - rest the short way round (shell.wgsl hinge_bend): the plain difference where it is within pi. */
export function hingeBend(theta: number, rest: number): number {
  const d = theta - rest;
  return Math.abs(d) <= Math.PI ? d : d - 2 * Math.PI * Math.round(d / (2 * Math.PI));
}

/** The hinge's angle and its gradients u_q = d(theta)/d(x_q) (Bridson et al. 2003), q = a, b, c, d. */
export function hingeRef(xa: V, xb: V, xc: V, xd: V): { theta: number; u: V[] } {
  const e = sub(xb, xa), l = norm(e);
  const n1 = cross(e, sub(xc, xa)), n2 = cross(sub(xa, xb), sub(xd, xb));
  if (collapsed(e, n1, n2)) return { theta: 0, u: [0, 1, 2, 3].map(() => [0, 0, 0]) };
  const theta = Math.atan2(dot(cross(n2, n1), e) / l, dot(n1, n2));
  const m1 = scale(n1, 1 / dot(n1, n1)), m2 = scale(n2, 1 / dot(n2, n2));
  const uc = scale(m1, l), ud = scale(m2, l);
  const ua = add(scale(m1, dot(sub(xc, xb), e) / l), scale(m2, dot(sub(xd, xb), e) / l));
  const ub = add(scale(m1, -dot(sub(xc, xa), e) / l), scale(m2, -dot(sub(xd, xa), e) / l));
  return { theta, u: [ua, ub, uc, ud] };
}

/** Closest point of triangle (a, b, c) to x and its weights (contact.tri.wgsl pt_tri, Ericson 2005). */
export function ptTriRef(x: V, a: V, b: V, c: V): { q: V; w: V } {
  const ab = sub(b, a), ac = sub(c, a), ap = sub(x, a);
  const d1 = dot(ab, ap), d2 = dot(ac, ap);
  if (d1 <= 0 && d2 <= 0) return { q: a, w: [1, 0, 0] };
  const bp = sub(x, b), d3 = dot(ab, bp), d4 = dot(ac, bp);
  if (d3 >= 0 && d4 <= d3) return { q: b, w: [0, 1, 0] };
  const vc = d1 * d4 - d3 * d2;
  if (vc <= 0 && d1 >= 0 && d3 <= 0 && d1 - d3 > 0) { const v = d1 / (d1 - d3); return { q: add(a, scale(ab, v)), w: [1 - v, v, 0] }; }
  const cp = sub(x, c), d5 = dot(ab, cp), d6 = dot(ac, cp);
  if (d6 >= 0 && d5 <= d6) return { q: c, w: [0, 0, 1] };
  const vb = d5 * d2 - d1 * d6;
  if (vb <= 0 && d2 >= 0 && d6 <= 0 && d2 - d6 > 0) { const w = d2 / (d2 - d6); return { q: add(a, scale(ac, w)), w: [1 - w, 0, w] }; }
  const va = d3 * d6 - d5 * d4;
  if (va <= 0 && d4 - d3 >= 0 && d5 - d6 >= 0 && d4 - d3 + d5 - d6 > 0) { const w = (d4 - d3) / (d4 - d3 + d5 - d6); return { q: add(b, scale(sub(c, b), w)), w: [0, 1 - w, w] }; }
  if (!(va + vb + vc > 0)) return { q: a, w: [1, 0, 0] }; // collapsed (pt_tri)
  const den = 1 / (va + vb + vc), v = vb * den, w = vc * den;
  return { q: add(a, add(scale(ab, v), scale(ac, w))), w: [1 - v - w, v, w] };
}

/** Vertex-triangle self-contact (contact.tri.wgsl): f_p = kc (h - d) (p - q) / d, corner k takes -w_k f_p. */
function vertexTriangleRef(m: SpringModel, x: V[], f: V[]): void {
  const { thickness: hc, stiffness: kc, exclStart, excl } = m.selfContact!;
  const T = m.triArea.length;
  for (let t = 0; t < T; t++) {
    const k = [0, 1, 2].map((s) => m.triIdx[3 * t + s]);
    const lo = [0, 1, 2].map((a) => Math.min(x[k[0]][a], x[k[1]][a], x[k[2]][a]) - hc);
    const hi = [0, 1, 2].map((a) => Math.max(x[k[0]][a], x[k[1]][a], x[k[2]][a]) + hc);
    for (let p = 0; p < m.n; p++) {
      if (k.includes(p) || x[p].some((y, a) => y < lo[a] || y > hi[a])) continue;
      const { q, w } = ptTriRef(x[p], x[k[0]], x[k[1]], x[k[2]]);
      const r = sub(x[p], q), d = norm(r);
      if (d >= hc || d === 0 || excl.subarray(exclStart[p], exclStart[p + 1]).includes(t)) continue;
      const fp = scale(r, (kc * (hc - d)) / d);
      f[p] = add(f[p], fp);
      for (let s = 0; s < 3; s++) f[k[s]] = sub(f[k[s]], scale(fp, w[s]));
    }
  }
}

/** Forces on every vertex [n][dim] at state (x, v) with control vector ctrl and rest angles `rest`. */
export function forcesRef(m: SpringModel, x: V[], v: V[], ctrl: ArrayLike<number>, row: number, rest: ArrayLike<number>): V[] {
  const d = m.dim, f: V[] = x.map(() => new Array(d).fill(0));
  const mat = (k: number, field: number) => ctrl[k * MAT_STRIDE + field];
  const S = m.springRest.length;
  for (let s = 0; s < S; s++) {
    const i = m.springPairs[2 * s], j = m.springPairs[2 * s + 1], k = m.springMat[s], ch = m.springChan[s];
    const L = ch >= 0 ? m.springRest[s] * (1 + m.actuationStrength * ctrl[m.ctrl.actOff + row * m.nChannels + ch]) : m.springRest[s];
    const dd = sub(x[j], x[i]), l = norm(dd), dh = scale(dd, 1 / l);
    const fi = add(scale(dh, mat(k, 0) * (l / L - 1)), scale(dh, mat(k, 1) * dot(sub(v[j], v[i]), dh)));
    f[i] = add(f[i], fi);
    f[j] = sub(f[j], fi);
  }
  const T = m.triArea.length;
  for (let t = 0; t < T; t++) {
    const [i, j, k] = [m.triIdx[3 * t], m.triIdx[3 * t + 1], m.triIdx[3 * t + 2]];
    const mu = mat(m.triMat[t], 2), la = mat(m.triMat[t], 3), A = m.triArea[t];
    const D = m.triDmInv.subarray(4 * t, 4 * t + 4); // column-major
    const e1 = sub(x[j], x[i]), e2 = sub(x[k], x[i]);
    // F = [e1 e2] Dinv: columns F0 = e1 D00 + e2 D01, F1 = e1 D10 + e2 D11
    const F0 = add(scale(e1, D[0]), scale(e2, D[1])), F1 = add(scale(e1, D[2]), scale(e2, D[3]));
    const E00 = (dot(F0, F0) - 1) / 2, E11 = (dot(F1, F1) - 1) / 2, E01 = dot(F0, F1) / 2;
    const tr = E00 + E11;
    const S00 = 2 * mu * E00 + la * tr, S11 = 2 * mu * E11 + la * tr, S01 = 2 * mu * E01;
    const P0 = add(scale(F0, S00), scale(F1, S01)), P1 = add(scale(F0, S01), scale(F1, S11));
    // forces on j, k: -A P Dinv^T, columns
    const fj = scale(add(scale(P0, D[0]), scale(P1, D[2])), -A);
    const fk = scale(add(scale(P0, D[1]), scale(P1, D[3])), -A);
    f[j] = add(f[j], fj);
    f[k] = add(f[k], fk);
    f[i] = sub(f[i], add(fj, fk));
  }
  const nH = m.hingeWeight.length;
  for (let h = 0; h < nH; h++) {
    const q = [0, 1, 2, 3].map((s) => m.hingeIdx[4 * h + s]);
    const { theta, u } = hingeRef(x[q[0]], x[q[1]], x[q[2]], x[q[3]]);
    const c = -mat(m.hingeMat[h], 4) * m.hingeWeight[h] * hingeBend(theta, rest[h]);
    for (let s = 0; s < 4; s++) f[q[s]] = add(f[q[s]], scale(u[s], c));
  }
  if (m.selfContact) {
    const { thickness: hc, stiffness: kc } = m.selfContact;
    for (let i = 0; i < m.n; i++) {
      for (let j = i + 1; j < m.n; j++) {
        const r = sub(x[i], x[j]), l = norm(r);
        if (l >= hc || l === 0) continue;
        const fi = scale(r, (kc * (hc - l)) / l);
        f[i] = add(f[i], fi);
        f[j] = sub(f[j], fi);
      }
    }
    if (m.selfContact.triangles) vertexTriangleRef(m, x, f);
  }
  return f;
}

/** One step of one copy: state [n][2 dim] (+ rest angles when plastic) at `step` -> the next. */
export function stepRef(m: SpringModel, state: Float64Array, ctrl: ArrayLike<number>, step: number): Float64Array {
  const d = m.dim, n = m.n, st = 2 * d, row = Math.min(step, m.horizon - 1);
  const x: V[] = [], v: V[] = [];
  for (let i = 0; i < n; i++) {
    x.push(Array.from(state.subarray(i * st, i * st + d)));
    v.push(Array.from(state.subarray(i * st + d, i * st + 2 * d)));
  }
  const nH = m.hingeWeight.length;
  const rest = m.plastic ? state.subarray(n * st, n * st + nH) : m.hingeRest0;
  const f = forcesRef(m, x, v, ctrl, row, rest);
  const out = new Float64Array(state.length);
  const dt = m.dt;
  for (let i = 0; i < n; i++) {
    let xn: V, vn: V;
    const fl = m.flag[i];
    if (fl === FLAG_PINNED) {
      xn = x[i];
      vn = new Array(d).fill(0);
    } else if (fl >= FLAG_GRIPPER) {
      const g = fl - FLAG_GRIPPER;
      const o = m.ctrl.gripOff + (row * m.nGrippers + g) * d;
      xn = x[i].map((_, a) => ctrl[o + a] + m.gripOffset[i * 3 + a]);
      vn = scale(sub(xn, x[i]), 1 / dt);
    } else {
      if (fl !== FLAG_FREE) throw new Error(`vertex ${i}: flag ${fl}`);
      let w = scale(add(v[i], scale(add(scale(f[i], m.invMass[i]), m.gravity), dt)), m.decay);
      if (m.ground) {
        const nrm = x[i].map((_, a) => (a === 1 ? 1 : 0));
        w = contactRef(w, new Array(d).fill(0), x[i][1] - m.ground.height, nrm, m.ground.friction, m.ground.softness, dt);
      }
      m.colliders.forEach((c, k) => {
        const { phi, n: nw, V } = colliderAt(m, ctrl, row, k, x[i]);
        w = contactRef(w, V, phi, nw, c.friction, m.colliderSoftness, dt);
      });
      vn = w;
      xn = add(x[i], scale(vn, dt));
    }
    out.set(xn, i * st);
    out.set(vn, i * st + d);
  }
  if (m.plastic) {
    for (let h = 0; h < nH; h++) {
      const Y = m.yieldAngle[m.hingeMat[h]];
      const q = [0, 1, 2, 3].map((s) => x[m.hingeIdx[4 * h + s]]);
      const theta = hingeRef(q[0], q[1], q[2], q[3]).theta;
      out[n * st + h] = Y > 0 && !hingeCollapsed(q[0], q[1], q[2], q[3]) ? theta - Math.min(Math.max(hingeBend(theta, rest[h]), -Y), Y) : rest[h];
    }
  }
  return out;
}

/** Collider k at control row `row` seen from point xi: its signed distance, outward normal and surface velocity there. */
export function colliderAt(m: SpringModel, ctrl: ArrayLike<number>, row: number, k: number, xi: V): { phi: number; n: V; V: V } {
  const d = m.dim, c = m.colliders[k];
  const cr = colliderRow(d), o = m.ctrl.colOff + (row * m.colliders.length + k) * cr.width;
  const p = Array.from({ length: d }, (_, a) => ctrl[o + cr.pos + a]);
  const rel = sub(xi, p);
  // the surface's velocity V + w x rel (2D: w (-rel_y, rel_x)), the body frame's rotation
  const om = Array.from({ length: cr.width - cr.spin }, (_, a) => ctrl[o + cr.spin + a]);
  const spin = d === 2 ? [-om[0] * rel[1], om[0] * rel[0]] : [om[1] * rel[2] - om[2] * rel[1], om[2] * rel[0] - om[0] * rel[2], om[0] * rel[1] - om[1] * rel[0]];
  const V = Array.from({ length: d }, (_, a) => ctrl[o + cr.vel + a] + spin[a]);
  const orient = Array.from({ length: cr.spin - cr.orient }, (_, a) => ctrl[o + cr.orient + a]);
  const rot = d === 2 ? angleToRot(orient[0]) : quatToRot(orient);
  const R = (r: number, cc: number) => rot[cc * 3 + r];
  // local = R^T rel
  const loc = Array.from({ length: d }, (_, a) => rel.reduce((s, y, b) => s + R(b, a) * y, 0));
  const h = c.shape === 1 ? [0, 0, 0] : c.halfExtents;
  const sdf = roundedBoxRef(loc, h.slice(0, d), c.radius);
  const n = Array.from({ length: d }, (_, a) => sdf.n.reduce((s, y, b) => s + R(a, b) * y, 0));
  return { phi: sdf.phi, n, V };
}

/** `steps` steps from state0 (one copy) with control vector ctrl: the final state. */
export function rolloutRef(m: SpringModel, state0: ArrayLike<number>, ctrl: ArrayLike<number>, steps: number): Float64Array {
  let s: Float64Array = Float64Array.from(state0);
  for (let t = 0; t < steps; t++) s = stepRef(m, s, ctrl, t);
  return s;
}

/** The rotation of a quaternion (x, y, z, w), normalised as dim3.wgsl rotation() does; column-major 3x3. */
function quatToRot(q: number[]): number[] {
  const l = Math.max(Math.hypot(q[0], q[1], q[2], q[3]), 1e-30);
  const [x, y, z, w] = q.map((c) => c / l);
  return [
    1 - 2 * (y * y + z * z), 2 * (x * y + z * w), 2 * (x * z - y * w),
    2 * (x * y - z * w), 1 - 2 * (x * x + z * z), 2 * (y * z + x * w),
    2 * (x * z + y * w), 2 * (y * z - x * w), 1 - 2 * (x * x + y * y),
  ];
}

/** The rotation by angle a (dim2.wgsl rotation()), as a column-major 3x3. */
function angleToRot(a: number): number[] {
  const c = Math.cos(a), s = Math.sin(a);
  return [c, s, 0, -s, c, 0, 0, 0, 1];
}
