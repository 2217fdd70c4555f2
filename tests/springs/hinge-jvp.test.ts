// `hinge_jvp` (shell.wgsl): the hinge's angle, its gradients u_q and their derivatives along the
// corners' adjoint vectors, written out by hand for the bending adjoint (shell.adj.wgsl). Against
// the float64 reference (reference.ts hingeRef) and central differences of its u_q, on random
// hinges of the bench cloth's size and larger: flat, near-flat, moderately and strongly folded
// (wings almost on top of each other). A dropped or mis-signed term of du moves it by a fraction
// of its size, far beyond the tolerance.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { springShaders } from '../../src/shaders/index';
import { hingeRef } from '../../src/springs/reference';
import { mulberry32 } from '../../src/core/rng';
import { runTestKernel } from '../helpers/test-kernel';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

/** Largest error of u_q and du_q, relative to the largest |u_q| and |du_q| of the hinge; theta's absolute error. */
const REL_TOL = 2e-5;
const THETA_TOL = 2e-5;

/** The WGSL declaration that starts with `head`, through its closing brace. */
function wgslDecl(src: string, head: string): string {
  const i = src.indexOf(head);
  if (i < 0) throw new Error(`shell.wgsl has no '${head}'`);
  let depth = 0;
  for (let k = src.indexOf('{', i); k < src.length; k++) {
    if (src[k] === '{') depth++;
    else if (src[k] === '}' && --depth === 0) return src.slice(i, k + 1);
  }
  throw new Error(`'${head}' is not closed`);
}

const KERNEL = `
${wgslDecl(springShaders.shell, 'struct HingeJvp')}
${wgslDecl(springShaders.shell, 'fn hinge_collapsed_at(')}
${wgslDecl(springShaders.shell, 'fn hinge_atan2(')}
${wgslDecl(springShaders.shell, 'fn hinge_jvp(')}
@group(0) @binding(0) var<storage, read> xl: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
fn v3(o: u32) -> vec3<f32> { return vec3<f32>(xl[o], xl[o + 1u], xl[o + 2u]); }
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let o = gid.x * 24u;
  let j = hinge_jvp(array<vec3<f32>, 4>(v3(o), v3(o + 3u), v3(o + 6u), v3(o + 9u)),
    array<vec3<f32>, 4>(v3(o + 12u), v3(o + 15u), v3(o + 18u), v3(o + 21u)));
  let w = gid.x * 25u;
  out[w] = j.theta;
  for (var q = 0u; q < 4u; q++) {
    for (var d = 0u; d < 3u; d++) {
      out[w + 1u + 3u * q + d] = j.u[q][d];
      out[w + 13u + 3u * q + d] = j.du[q][d];
    }
  }
}`;

type V = number[];
const add = (a: V, b: V) => a.map((v, i) => v + b[i]);
const scale = (a: V, s: number) => a.map((v) => v * s);
const cross = (a: V, b: V) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const norm = (a: V) => Math.hypot(...a);

/**
 * A hinge with edge length `len` (x0 -> x1) and wings of height 0.3 to 1 times len, the second wing
 * turned by `fold` from flat (0 flat, near +-pi folded onto the first), placed and oriented at random.
 */
function hinge(rand: () => number, len: number, fold: number): V[] {
  const r = () => 2 * rand() - 1;
  let t = [r(), r(), r()];
  t = scale(t, 1 / norm(t));
  let a = cross(t, [r(), r(), r()]);
  a = scale(a, 1 / norm(a));
  const b = cross(t, a);
  const o = [r(), r(), r()];
  const x1 = add(o, scale(t, len));
  const x2 = add(o, add(scale(t, len * (1.6 * rand() - 0.3)), scale(a, len * (0.3 + 0.7 * rand()))));
  // the flat wing lies along -a; turning it by fold about the edge
  const dir = add(scale(a, -Math.cos(fold)), scale(b, Math.sin(fold)));
  const x3 = add(o, add(scale(t, len * (1.6 * rand() - 0.3)), scale(dir, len * (0.3 + 0.7 * rand()))));
  return [o, x1, x2, x3].map((v) => v.map(Math.fround));
}

test('hinge_jvp: theta, u_q and du_q against the float64 reference and its central differences', async () => {
  const rand = mulberry32(17);
  const folds = [0, 1e-5, -1e-3, 0.02, -0.3, 1.2, -2.0, 2.9, -3.1, 3.14];
  const lens = [1 / 64, 0.1, 1];
  const n = 64 * Math.ceil((folds.length * lens.length * 8) / 64);
  const xl = new Float32Array(n * 24);
  const cases: { x: V[]; l: V[]; fold: number; len: number }[] = [];
  for (let c = 0; c < n; c++) {
    const fold = folds[c % folds.length] * (1 + 0.05 * (rand() - 0.5));
    const len = lens[Math.floor(c / folds.length) % lens.length];
    const x = hinge(rand, len, fold);
    const l = Array.from({ length: 4 }, () => [0, 0, 0].map(() => Math.fround(2 * rand() - 1)));
    cases.push({ x, l, fold, len });
    xl.set([...x.flat(), ...l.flat()], c * 24);
  }
  const out = await runTestKernel(gpu, 'test.hinge_jvp', KERNEL, [xl], n * 25 * 4, n);
  let worstU = 0, worstDu = 0, worstTheta = 0, worst = '';
  for (let c = 0; c < n; c++) {
    const { x, l, fold, len } = cases[c];
    const ref = hingeRef(x[0], x[1], x[2], x[3]);
    // central differences of u along l, the step a small fraction of the edge
    const h = 1e-5 * len;
    const up = hingeRef(...(x.map((v, q) => add(v, scale(l[q], h))) as [V, V, V, V])).u;
    const um = hingeRef(...(x.map((v, q) => add(v, scale(l[q], -h))) as [V, V, V, V])).u;
    const du = up.map((u, q) => scale(add(u, scale(um[q], -1)), 1 / (2 * h)));
    const uMax = Math.max(...ref.u.map(norm)), duMax = Math.max(...du.map(norm));
    let eU = 0, eDu = 0;
    for (let q = 0; q < 4; q++) {
      const g = (k: number) => Array.from(out.subarray(c * 25 + k + 3 * q, c * 25 + k + 3 * q + 3));
      eU = Math.max(eU, norm(add(g(1), scale(ref.u[q], -1))) / uMax);
      eDu = Math.max(eDu, norm(add(g(13), scale(du[q], -1))) / duMax);
    }
    const eTheta = Math.abs(out[c * 25] - ref.theta);
    if (eDu > worstDu) worst = `fold ${fold.toPrecision(3)}, |e| ${len}`;
    worstU = Math.max(worstU, eU);
    worstDu = Math.max(worstDu, eDu);
    worstTheta = Math.max(worstTheta, eTheta);
  }
  console.log(`hinge_jvp, ${n} hinges: max relative error u ${worstU.toExponential(2)}, du ${worstDu.toExponential(2)} (${worst}); theta ${worstTheta.toExponential(2)} rad`);
  expect(worstU).toBeLessThan(REL_TOL);
  expect(worstDu).toBeLessThan(REL_TOL);
  expect(worstTheta).toBeLessThan(THETA_TOL);
});
