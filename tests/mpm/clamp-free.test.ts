// `clamp_free` (prelude.wgsl): where it holds, the plastic projection's adjoint returns its input
// without an SVD, as the adjoint of the identity. That is only right if the forward's SVD clamps
// nothing there, so: on random F with singular values inside the plastic bounds, just inside, just
// outside, far outside and inverted, clamp_free never holds where svd(F) (the same WGSL the forward
// projects with) or the float64 reference finds a singular value outside the bounds, and it holds
// on every nearly isotropic F well inside them (where it saves the SVD in practice).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { composePlain, type Dim } from '../../src/shaders/compose';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { mul, rotation, svd, transpose } from '../../src/mpm/reference/small-matrix';
import { mulberry32 } from '../../src/core/rng';
import { runTestKernel } from '../helpers/test-kernel';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

// the bench scenes' and plasticine-press-3d's bounds: [1 - thetaC, 1 + thetaS]
const LO = 1 - 0.025;
const HI = 1 + 0.0045;

const KERNEL = `
@group(0) @binding(0) var<storage, read> f_in: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  var F: matD;
  for (var j = 0u; j < DIM; j++) {
    for (var r = 0u; r < DIM; r++) { F[j][r] = f_in[i * DIM * DIM + j * DIM + r]; }
  }
  let d = svd(F);
  for (var k = 0u; k < DIM; k++) { out[i * (DIM + 1u) + k] = d.s[k]; }
  out[i * (DIM + 1u) + DIM] = select(0.0, 1.0, clamp_free(F, vec2<f32>(${LO}, ${HI})));
}`;

type Kind = 'isotropic' | 'inside' | 'edge' | 'outside' | 'inverted';
const KINDS: Kind[] = ['isotropic', 'inside', 'edge', 'outside', 'inverted'];

/** Singular values of each kind: edge = within 1e-6 (relative) of a bound, either side. */
function singularValues(dim: Dim, kind: Kind, rand: () => number): number[] {
  const mid = 0.5 * (LO + HI);
  return Array.from({ length: dim }, (_, i) => {
    switch (kind) {
      case 'isotropic': return mid + 4e-4 * (rand() - 0.5);
      case 'inside': return LO + (HI - LO) * (0.02 + 0.96 * rand());
      case 'edge': return (rand() < 0.5 ? LO : HI) * (1 + 2e-6 * (rand() - 0.5));
      case 'outside': return i === 0 ? (rand() < 0.5 ? LO * (1 - 0.05 * rand()) : HI * (1 + 0.05 * rand())) : mid;
      case 'inverted': return i === 0 ? -mid : mid;
    }
  });
}

describe.each([2, 3] as Dim[])('clamp_free, %dD', (dim) => {
  test('never holds where the SVD clamps; holds on nearly isotropic F inside the bounds', async () => {
    const perKind = 128;
    const n = perKind * KINDS.length;
    const nn = dim * dim;
    const rand = mulberry32(40 + dim);
    const F = new Float32Array(n * nn);
    const rot = () => rotation(dim, dim === 2 ? [6.3 * rand()] : [rand() - 0.5, rand() - 0.5, rand() - 0.5, rand() - 0.5]);
    for (let i = 0; i < n; i++) {
      const s = singularValues(dim, KINDS[i % KINDS.length], rand);
      const S = new Float64Array(nn);
      for (let k = 0; k < dim; k++) S[k * dim + k] = s[k];
      F.set(mul(mul(rot(), S), transpose(rot())), i * nn);
    }
    const got = await runTestKernel(gpu, `test.clamp_free${dim}`, composePlain(dim, KERNEL), [F], n * (dim + 1) * 4, n);

    const held: Record<Kind, number> = { isotropic: 0, inside: 0, edge: 0, outside: 0, inverted: 0 };
    let unsound = 0;
    for (let i = 0; i < n; i++) {
      const free = got[i * (dim + 1) + dim] === 1;
      if (!free) continue;
      held[KINDS[i % KINDS.length]]++;
      // the float32 F the kernel read, in float64
      const s64 = svd(Float64Array.from(F.subarray(i * nn, (i + 1) * nn))).s;
      const s32 = got.subarray(i * (dim + 1), i * (dim + 1) + dim);
      for (const s of [...s64, ...s32]) if (!(s > LO && s < HI)) unsound++;
    }
    expect(unsound).toBe(0);
    expect(held.isotropic).toBe(perKind);
    expect(held.outside).toBe(0);
    expect(held.inverted).toBe(0);
    // F inside the bounds but far from isotropic may be rejected (Gershgorin's discs are loose),
    // which costs only the SVD; F within 1e-6 of a bound must be (the margin is 1e-5)
    expect(held.edge).toBe(0);
  });
});
