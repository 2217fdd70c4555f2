// The GPU layout of a SpringModel: the `model` u32 buffer (model.wgsl's sections) and the Params
// uniform (params.wgsl), word for word. The one place that knows both sides' offsets.
import { colliderRow, type SpringModel } from './model';

const VERT_WORDS = 8, SPRING_WORDS = 4, TRI_WORDS = 12, HINGE_WORDS = 8, COL_WORDS = 8;
export const PARAMS_BYTES = 208;
/** The self-contact grid's cell size over the thickness. */
export const SC_CELL = 2.25;
/** Cells per axis a self-contact search box may span (contact.tri.wgsl MAX_SPAN). */
export const MAX_SPAN_CELLS = 8;

/** Floats of the per-vertex terms of one copy's control entries (adjoint.wgsl `terms`). */
export function termLayout(m: SpringModel): { mat: number; act: number; col: number; grip: number; count: number } {
  const d = m.dim, mat = 0, act = 5 * m.nMaterials, col = act + m.nChannels, grip = col + m.colliders.length * colliderRow(d).width;
  return { mat, act, col, grip, count: grip + m.nGrippers * d };
}

/** Buckets of the self-contact hash per copy: a power of two >= 2n and >= 256 (the scan's width). */
export function hashSize(n: number): number {
  let h = 256;
  while (h < 2 * n) h *= 2;
  return h;
}

/**
 * Words of one copy's self-contact grid (grid.wgsl): hash_size counts, hash_size + 1 bucket starts,
 * n vertices by bucket, then the triangles' reach from their anchors, n per-anchor reaches and, with
 * vertex-triangle contact (vtTris triangles), each triangle's bounding box (f32 bits, contact.tri.wgsl),
 * and last the copy's quiet word (nonzero where a quiet step's adjoint left the grid unbuilt, hash.wgsl).
 */
export function gridStride(n: number, vtTris = 0): number {
  return 2 * hashSize(n) + 1 + n + 1 + n + 6 * vtTris + 1;
}

/** The triangles the self-contact grid keeps boxes of: all of them with vertex-triangle contact. */
export function gridTris(m: SpringModel): number {
  return m.selfContact?.triangles ? m.triArea.length : 0;
}

export interface PackedModel {
  words: Uint32Array;
  /** hslot: per hinge, the adjacency entries of its 4 corners (a triangle's 3 are words 9-11 of its record). */
  /** excl, anchor: self-contact's per-vertex excluded and anchored triangles, each n + 1 absolute word offsets then the lists (model.ts). */
  offsets: { vert: number; spring: number; tri: number; hinge: number; adj: number; col: number; hslot: number; excl: number; anchor: number };
}

export function packModel(m: SpringModel): PackedModel {
  const n = m.n, S = m.springRest.length, T = m.triArea.length, H = m.hingeWeight.length, C = m.colliders.length;
  const vert = 0, spring = vert + n * VERT_WORDS, tri = spring + S * SPRING_WORDS, hinge = tri + T * TRI_WORDS;
  const adj = hinge + H * HINGE_WORDS, col = adj + m.adj.length, hslot = col + C * COL_WORDS, excl = hslot + 4 * H;
  const sc = m.selfContact, nExcl = sc?.triangles ? n + 1 + sc.excl.length : 0, anchor = excl + nExcl;
  const end = anchor + (sc?.triangles ? n + 1 + sc.anchor.length : 0);
  const words = new Uint32Array(Math.max(end, 4));
  const f = new Float32Array(words.buffer);
  for (let i = 0; i < n; i++) {
    const o = vert + i * VERT_WORDS;
    words[o] = m.flag[i];
    f[o + 1] = m.invMass[i];
    words[o + 2] = m.adjStart[i];
    words[o + 3] = m.adjStart[i + 1];
    f.set(m.gripOffset.subarray(3 * i, 3 * i + 3), o + 4);
  }
  for (let k = 0; k < S; k++) {
    const o = spring + k * SPRING_WORDS;
    words[o] = m.springPairs[2 * k];
    words[o + 1] = m.springPairs[2 * k + 1];
    f[o + 2] = m.springRest[k];
    words[o + 3] = (m.springMat[k] | ((m.springChan[k] + 1) << 16)) >>> 0;
  }
  for (let k = 0; k < T; k++) {
    const o = tri + k * TRI_WORDS;
    words.set(m.triIdx.subarray(3 * k, 3 * k + 3), o);
    words[o + 3] = m.triMat[k];
    f.set(m.triDmInv.subarray(4 * k, 4 * k + 4), o + 4);
    f[o + 8] = m.triArea[k];
  }
  for (let k = 0; k < H; k++) {
    const o = hinge + k * HINGE_WORDS;
    words.set(m.hingeIdx.subarray(4 * k, 4 * k + 4), o);
    words[o + 4] = m.hingeMat[k];
    f[o + 5] = m.hingeWeight[k];
    f[o + 6] = m.hingeRest0[k];
    f[o + 7] = m.yieldAngle[m.hingeMat[k]];
  }
  words.set(m.adj, adj);
  // each element corner's adjacency entry: the per-element force pass (elements.wgsl) writes there
  for (let e = 0; e < m.adj.length; e++) {
    const code = m.adj[e], kind = code >>> 30, slot = (code >>> 28) & 3, k = code & 0x0fffffff;
    if (kind === 1) words[tri + k * TRI_WORDS + 9 + slot] = e;
    else if (kind === 2) words[hslot + 4 * k + slot] = e;
  }
  m.colliders.forEach((c, k) => {
    const o = col + k * COL_WORDS;
    words[o] = c.shape;
    f[o + 1] = c.friction;
    f[o + 2] = c.radius;
    f.set(c.halfExtents, o + 4);
  });
  if (sc?.triangles) {
    for (let i = 0; i <= n; i++) words[excl + i] = excl + n + 1 + sc.exclStart[i];
    words.set(sc.excl, excl + n + 1);
    for (let i = 0; i <= n; i++) words[anchor + i] = anchor + n + 1 + sc.anchorStart[i];
    words.set(sc.anchor, anchor + n + 1);
  }
  return { words, offsets: { vert, spring, tri, hinge, adj, col, hslot, excl, anchor } };
}

/**
 * The Params uniform for `batch` copies. `wrongAdjoint` scales a few adjoint terms by 1.05 (fault:
 * tests that gradcheck can fail); a uniform, not a constant, so a wrong twin runs the compiled code.
 */
export function packParams(m: SpringModel, packed: PackedModel, batch: number, wrongAdjoint = false): ArrayBuffer {
  const buf = new ArrayBuffer(PARAMS_BYTES);
  const u = new Uint32Array(buf), f = new Float32Array(buf);
  const t = termLayout(m), o = packed.offsets, hs = hashSize(m.n);
  u.set([
    m.n, batch, m.springRest.length, m.triArea.length,
    m.hingeWeight.length, m.nMaterials, m.nChannels, m.colliders.length,
    m.nGrippers, m.ctrl.size, m.ctrl.actOff, m.ctrl.colOff,
    m.ctrl.gripOff, +m.plastic, +!!m.ground, +!!m.selfContact,
    o.vert, o.spring, o.tri, o.hinge,
    o.adj, o.col, t.count, batch * m.n * 2 * m.dim,
    hs, gridStride(m.n, gridTris(m)), t.mat, t.col,
  ]);
  f.set([m.dt, m.decay, m.actuationStrength, m.colliderSoftness], 28);
  f.set(m.gravity, 32);
  f.set([m.ground?.height ?? 0, m.ground?.friction ?? 0, m.ground?.softness ?? 0, m.selfContact?.thickness ?? 1], 36);
  // cells a little over twice the thickness: a vertex's neighbours lie in the 2^dim cells nearest it (forces.wgsl neighbours)
  f.set([m.selfContact?.stiffness ?? 0, SC_CELL * (m.selfContact?.thickness ?? 1)], 40);
  u.set([t.grip, o.hslot, m.adj.length, +!!m.selfContact?.triangles, o.excl, o.anchor], 42);
  f[48] = wrongAdjoint ? 1.05 : 1;
  return buf;
}
