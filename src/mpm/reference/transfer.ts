// Particle-grid transfers of the float64 step, written out for 2D and 3D: a particle's quadratic
// B-spline stencil is kept per axis (3 weights and 3 offsets x_i - x_p), and the 3^dim nodes are
// visited in stencil order (x fastest, prelude.wgsl `stencil_offset`). Each node weight is the
// product (w_x w_y) w_z and each sum starts from zero, in the order of the generic loops this
// replaced, so the floats are the same; spelled out, the loops run several times faster.

/** Per-particle stencils: base node index, and per axis 3 weights and 3 offsets dpos = x_node - x_p. */
export interface Stencils { base: Int32Array; w: Float64Array; dpos: Float64Array }

export function stencils(n: number, dim: number): Stencils {
  return { base: new Int32Array(n), w: new Float64Array(n * dim * 3), dpos: new Float64Array(n * dim * 3) };
}

/** Stencil of particle p from its position state[o .. o + dim) (prelude.wgsl `stencil_at`, `stencil_weight`). */
export function stencilAt(st: Stencils, p: number, state: Float64Array, o: number, dim: number, res: number[], invDx: number, dx: number): void {
  let node = 0, stride = 1;
  for (let i = 0; i < dim; i++) {
    const xg = state[o + i] * invDx;
    const base = Math.floor(xg - 0.5);
    const fx = xg - base; // in [0.5, 1.5)
    if (!(base >= 0 && base + 2 < res[i])) throw new Error(`reference stencil: x[${i}] = ${state[o + i]} leaves the grid`);
    const j = (p * dim + i) * 3;
    st.w[j] = 0.5 * (1.5 - fx) * (1.5 - fx);
    st.w[j + 1] = 0.75 - (fx - 1) * (fx - 1);
    st.w[j + 2] = 0.5 * (fx - 0.5) * (fx - 0.5);
    st.dpos[j] = (0 - fx) * dx;
    st.dpos[j + 1] = (1 - fx) * dx;
    st.dpos[j + 2] = (2 - fx) * dx;
    node += base * stride;
    stride *= res[i];
  }
  st.base[p] = node;
}

/** The grid p2g adds to, and the list of the nodes it touched (their first touch clears them). */
export interface ScatterGrid { m: Float64Array; mv: Float64Array; stamp: Uint32Array; epoch: number; active: Int32Array; nActive: number }

function touch(g: ScatterGrid, i: number, dim: number): void {
  if (g.stamp[i] === g.epoch) return;
  g.stamp[i] = g.epoch;
  g.active[g.nActive++] = i;
  g.m[i] = 0;
  for (let r = 0; r < dim; r++) g.mv[i * dim + r] = 0;
}

/** p2g of one particle (mass, velocity state[oV..], affine matrix A) onto the 2D grid. */
export function scatter2(g: ScatterGrid, st: Stencils, p: number, res0: number, mass: number, state: Float64Array, oV: number, A: Float64Array): void {
  const { m, mv } = g, { w, dpos } = st, j = p * 6;
  const mvx = mass * state[oV], mvy = mass * state[oV + 1];
  for (let oy = 0; oy < 3; oy++) {
    const wy = w[j + 3 + oy], dy = dpos[j + 3 + oy];
    for (let ox = 0; ox < 3; ox++) {
      const i = st.base[p] + ox + oy * res0, wk = w[j + ox] * wy, dxp = dpos[j + ox];
      touch(g, i, 2);
      m[i] += wk * mass;
      mv[2 * i] += wk * (mvx + (A[0] * dxp + A[2] * dy));
      mv[2 * i + 1] += wk * (mvy + (A[1] * dxp + A[3] * dy));
    }
  }
}

/** p2g of one particle onto the 3D grid. */
export function scatter3(g: ScatterGrid, st: Stencils, p: number, res0: number, res1: number, mass: number, state: Float64Array, oV: number, A: Float64Array): void {
  const { m, mv } = g, { w, dpos } = st, j = p * 9;
  const mvx = mass * state[oV], mvy = mass * state[oV + 1], mvz = mass * state[oV + 2];
  for (let oz = 0; oz < 3; oz++) {
    const wz = w[j + 6 + oz], dz = dpos[j + 6 + oz];
    for (let oy = 0; oy < 3; oy++) {
      const wy = w[j + 3 + oy], dy = dpos[j + 3 + oy];
      for (let ox = 0; ox < 3; ox++) {
        const i = st.base[p] + ox + (oy + oz * res1) * res0, wk = w[j + ox] * wy * wz, dxp = dpos[j + ox];
        touch(g, i, 3);
        m[i] += wk * mass;
        mv[3 * i] += wk * (mvx + (A[0] * dxp + A[3] * dy + A[6] * dz));
        mv[3 * i + 1] += wk * (mvy + (A[1] * dxp + A[4] * dy + A[7] * dz));
        mv[3 * i + 2] += wk * (mvz + (A[2] * dxp + A[5] * dy + A[8] * dz));
      }
    }
  }
}

/** g2p sums of one particle on the 2D grid: out[oV..] = sum w v_i, out[oC..] = sum w v_i dpos^T (before D). */
export function gather2(gv: Float64Array, st: Stencils, p: number, res0: number, out: Float64Array, oV: number): void {
  const { w, dpos } = st, j = p * 6;
  let vx = 0, vy = 0, c0 = 0, c1 = 0, c2 = 0, c3 = 0;
  for (let oy = 0; oy < 3; oy++) {
    const wy = w[j + 3 + oy], dy = dpos[j + 3 + oy];
    for (let ox = 0; ox < 3; ox++) {
      const i = st.base[p] + ox + oy * res0, wk = w[j + ox] * wy, dxp = dpos[j + ox];
      const wvx = wk * gv[2 * i], wvy = wk * gv[2 * i + 1];
      vx += wvx; c0 += wvx * dxp; c2 += wvx * dy;
      vy += wvy; c1 += wvy * dxp; c3 += wvy * dy;
    }
  }
  out[oV] = vx; out[oV + 1] = vy;
  out[oV + 2] = c0; out[oV + 3] = c1; out[oV + 4] = c2; out[oV + 5] = c3;
}

/** g2p sums of one particle on the 3D grid. */
export function gather3(gv: Float64Array, st: Stencils, p: number, res0: number, res1: number, out: Float64Array, oV: number): void {
  const { w, dpos } = st, j = p * 9;
  let vx = 0, vy = 0, vz = 0, c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0, c6 = 0, c7 = 0, c8 = 0;
  for (let oz = 0; oz < 3; oz++) {
    const wz = w[j + 6 + oz], dz = dpos[j + 6 + oz];
    for (let oy = 0; oy < 3; oy++) {
      const wy = w[j + 3 + oy], dy = dpos[j + 3 + oy];
      for (let ox = 0; ox < 3; ox++) {
        const i = st.base[p] + ox + (oy + oz * res1) * res0, wk = w[j + ox] * wy * wz, dxp = dpos[j + ox];
        const wvx = wk * gv[3 * i], wvy = wk * gv[3 * i + 1], wvz = wk * gv[3 * i + 2];
        vx += wvx; c0 += wvx * dxp; c3 += wvx * dy; c6 += wvx * dz;
        vy += wvy; c1 += wvy * dxp; c4 += wvy * dy; c7 += wvy * dz;
        vz += wvz; c2 += wvz * dxp; c5 += wvz * dy; c8 += wvz * dz;
      }
    }
  }
  out[oV] = vx; out[oV + 1] = vy; out[oV + 2] = vz;
  out[oV + 3] = c0; out[oV + 4] = c1; out[oV + 5] = c2; out[oV + 6] = c3; out[oV + 7] = c4;
  out[oV + 8] = c5; out[oV + 9] = c6; out[oV + 10] = c7; out[oV + 11] = c8;
}
