// The polar rotation of the elastic stress (`polar_rot`, `polar_rot_adj` in dim2.wgsl / dim3.wgsl):
// 2D takes it in closed form, 3D from the SVD; both adjoints without an SVD. Both must give the
// float64 reference's R = U V^T (src/mpm/reference/small-matrix.ts) and, for a random dL/dR, the
// central difference of that reference, on random F of every kind the rollouts meet: stretched,
// sheared, inverted (det F < 0) and near the identity.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { composePlain, type Dim } from '../../src/shaders/compose';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { mul, rotation, svd, transpose } from '../../src/mpm/reference/small-matrix';
import { mulberry32 } from '../../src/core/rng';
import { runTestKernel } from '../helpers/test-kernel';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

const KERNEL = `
@group(0) @binding(0) var<storage, read> f_in: array<f32>;
@group(0) @binding(1) var<storage, read> g_in: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = DIM * DIM;
  let i = gid.x;
  var F: matD;
  var G: matD;
  for (var j = 0u; j < DIM; j++) {
    for (var r = 0u; r < DIM; r++) { F[j][r] = f_in[i * n + j * DIM + r]; G[j][r] = g_in[i * n + j * DIM + r]; }
  }
  let R = polar_rot(F);
  let gF = polar_rot_adj(R, F, G);
  for (var j = 0u; j < DIM; j++) {
    for (var r = 0u; r < DIM; r++) { out[2u * i * n + j * DIM + r] = R[j][r]; out[(2u * i + 1u) * n + j * DIM + r] = gF[j][r]; }
  }
}`;

const polarRef = (F: Float64Array) => { const d = svd(F); return mul(d.U, transpose(d.V)); };

/** F = U diag(s) V^T: kind 0 near the identity, 1 large strain, 2 inverted (the smallest negative). */
function randomF(dim: Dim, kind: number, rand: () => number): Float64Array {
  const rot = () => rotation(dim, dim === 2 ? [6.3 * rand()] : [rand() - 0.5, rand() - 0.5, rand() - 0.5, rand() - 0.5]);
  const s = Array.from({ length: dim }, () => (kind === 0 ? 1 + 0.02 * (rand() - 0.5) : 0.6 + 1.2 * rand()));
  // inverted: the smallest singular value negative, but every pair's sum above 0.2, where the
  // adjoint's 1 / (s_i + s_j) is well conditioned (polar_rot_adj guards it beyond)
  if (kind === 2) { const k = s.indexOf(Math.min(...s)); s[k] = -Math.min(0.5 * s[k], Math.min(...s.filter((_, i) => i !== k)) - 0.2); }
  const S = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) S[i * dim + i] = s[i];
  const U = rot();
  return mul(mul(U, S), transpose(rot()));
}

describe.each([2, 3] as Dim[])('polar rotation, %dD', (dim) => {
  test('R and dL/dF match the float64 SVD reference and its central differences', async () => {
    const n = 192;
    const nn = dim * dim;
    const rand = mulberry32(11 + dim);
    const F = new Float32Array(n * nn);
    const G = new Float32Array(n * nn);
    for (let i = 0; i < n; i++) {
      F.set(randomF(dim, i % 3, rand), i * nn);
      for (let k = 0; k < nn; k++) G[i * nn + k] = 2 * rand() - 1;
    }
    const got = await runTestKernel(gpu, `test.polar${dim}`, composePlain(dim, KERNEL), [F, G], 2 * F.byteLength, n);

    let worstR = 0;
    let worstG = 0;
    let signs = 0;
    const h = 1e-6;
    for (let i = 0; i < n; i++) {
      // the reference at the float32 F the kernel read
      const Fi = Float64Array.from(F.subarray(i * nn, (i + 1) * nn));
      const R = polarRef(Fi);
      for (let k = 0; k < nn; k++) worstR = Math.max(worstR, Math.abs(got[2 * i * nn + k] - R[k]));
      const g = G.subarray(i * nn, (i + 1) * nn);
      const loss = (M: Float64Array) => polarRef(M).reduce((a, r, k) => a + r * g[k], 0);
      const num = new Float64Array(nn);
      for (let k = 0; k < nn; k++) {
        const p = Float64Array.from(Fi); p[k] += h;
        const m = Float64Array.from(Fi); m[k] -= h;
        num[k] = (loss(p) - loss(m)) / (2 * h);
      }
      const scale = Math.max(...num.map(Math.abs));
      for (let k = 0; k < nn; k++) {
        const a = got[(2 * i + 1) * nn + k];
        worstG = Math.max(worstG, Math.abs(a - num[k]) / scale);
        if (Math.abs(num[k]) > 1e-3 * scale && Math.sign(a) !== Math.sign(num[k])) signs++;
      }
    }
    // measured: R 1.1e-7 (2D), 3.2e-7 (3D); dL/dF 3.9e-6, 1.2e-6 of its largest entry
    expect(worstR).toBeLessThan(2e-6);
    expect(worstG).toBeLessThan(1e-4);
    expect(signs).toBe(0);
  });
});
