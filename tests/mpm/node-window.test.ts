// The node window of p2g's adjoint (src/shaders/node-window.ts): the lanes of a subgroup load the
// nodes around their stencils once between them and pass each lane its stencil by shuffles. It must
// hand every lane exactly its own stencil's records, so that a gradient is the same to the bit with
// and without it, and scenes must keep the particle order that makes it pay.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { benchCases } from '../../scenes/bench-scenes';
import { sortByStencilBase } from '../../scenes/builders';
import { composePlain } from '../../src/shaders/compose';
import { nodeWindowShape, nodeWindowWgsl, WINDOW_SUBGROUP } from '../../src/shaders/node-window';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import type { MpmScene } from '../../src/mpm/scene';
import { MpmSim } from '../../src/mpm/simulator';
import { mulberry32 as rng } from '../../src/core/rng';
import { Rollout } from '../../src/core/rollout';
import { runTestKernel } from '../helpers/test-kernel';
import { tinyScene } from '../helpers/tiny-scenes';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

test('lavapipe has the subgroups the 2D window is laid out for, so CI runs the window path', () => {
  if (!/llvmpipe/i.test(gpu.adapterName)) return; // other devices may or may not: both paths are right
  expect(gpu.subgroupSize).toBe(WINDOW_SUBGROUP);
  expect(nodeWindowShape(2, gpu.subgroupSize)).not.toBeNull();
});

// window_stencil alone: registers filled with window node numbers, random per-lane offsets d within
// the slack; lane p's node k must be window node lin(o_k + d_p), from its own subgroup.
test('window_stencil gives each lane the window nodes of its own stencil', async () => {
  const shape = nodeWindowShape(2, gpu.subgroupSize);
  const lanes = shape?.lanes ?? 1;
  const slack = shape?.slack ?? [0, 0];
  const extent = shape?.extent ?? [3, 3];
  const win = nodeWindowWgsl(2, gpu.subgroupSize);
  const body = `
@group(0) @binding(0) var<storage, read> d_in: array<vec2<i32>>;
@group(0) @binding(1) var<storage, read_write> out: array<vec2<f32>>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let lane = window_lane();
  var r: array<vec4<f32>, WIN_LOADS>;
  for (var m = 0u; m < WIN_LOADS; m++) { r[m] = vec4<f32>(f32(m * WIN_LANES + lane), f32(gid.x / WIN_LANES), 0.0, 0.0); }
  let s = window_stencil(r, d_in[gid.x]);
  for (var k = 0u; k < STENCIL; k++) { out[gid.x * STENCIL + k] = s[k].xy; }
}`;
  const code = `${win.directives}\n${composePlain(2, `${win.code}\n${body}`)}`;
  const n = 256;
  const rand = rng(5);
  const d = Int32Array.from({ length: 2 * n }, (_, i) => Math.floor(rand() * (slack[i % 2] + 1)));
  const got = await runTestKernel(gpu, 'test.window_stencil', code, [d], n * 9 * 8, n);
  let wrong = 0;
  for (let p = 0; p < n; p++) {
    for (let k = 0; k < 9; k++) {
      const o = [k % 3, Math.floor(k / 3)];
      const j = o[0] + d[2 * p] + extent[0] * (o[1] + d[2 * p + 1]);
      if (got[(p * 9 + k) * 2] !== j || got[(p * 9 + k) * 2 + 1] !== Math.floor(p / lanes)) wrong++;
    }
  }
  expect(wrong).toBe(0);
});

// The fraction of subgroups (WINDOW_SUBGROUP consecutive particles) whose stencil bases all lie
// within the window's slack of their least base: where the window pays.
function windowFit(scene: MpmScene): number {
  const { dim, grid: { dx }, particles: { x } } = scene;
  const slack = nodeWindowShape(2, WINDOW_SUBGROUP)!.slack;
  const n = x.length / dim;
  let fit = 0, groups = 0;
  for (let p0 = 0; p0 < n; p0 += WINDOW_SUBGROUP, groups++) {
    const lo = [Infinity, Infinity], hi = [-Infinity, -Infinity];
    for (let p = p0; p < Math.min(n, p0 + WINDOW_SUBGROUP); p++) {
      for (let a = 0; a < 2; a++) { const b = Math.floor(x[p * dim + a] / dx - 0.5); lo[a] = Math.min(lo[a], b); hi[a] = Math.max(hi[a], b); }
    }
    if (hi[0] - lo[0] <= slack[0] && hi[1] - lo[1] <= slack[1]) fit++;
  }
  return fit / groups;
}

test('the 2D bench scenes store particles in an order the window fits (most subgroups)', () => {
  for (const c of benchCases().filter((c) => c.scene.dim === 2)) expect(windowFit(c.scene), c.label).toBeGreaterThan(0.9);
});

// The whole rollout gradient with the window and without subgroups at all: bit for bit, on a
// scene that touches the walls and a collider (both node records, both branches of p2g's adjoint),
// sorted (mostly windowed subgroups) and in lattice order (mostly not); and without the collider,
// where most stencils are free of contacts (the branch that reads the first record only).
for (const [sorted, collider] of [[true, true], [false, true], [true, false]]) {
  test(`2D rollout gradient with the node window equals the one without, bit for bit (${sorted ? 'sorted by stencil base' : 'lattice order'}${collider ? '' : ', no collider'})`, async () => {
    const base = tinyScene({ dim: 2, material: 'elastoplastic', collider, actuated: true, lo: [0.1, 0.1], hi: [0.6, 0.45], seed: 9 });
    const scene = sorted ? sortByStencilBase(base) : base;
    if (sorted) expect(windowFit(scene)).toBeGreaterThan(0.5);
    const T = 16;
    const sims = [await MpmSim.create(gpu, scene), await MpmSim.create(gpu, scene, { subgroups: false })];
    const rand = rng(3);
    const n = sims[0].stateBytes / 4;
    const gFinal = Float32Array.from({ length: n }, () => rand() - 0.5);
    const res: Float32Array[][] = [];
    for (const sim of sims) {
      const r = new Rollout(sim, T, 'auto');
      await r.forward();
      const g = sim.createState('g_final', gFinal);
      res.push([await readF32(gpu.device, await r.backward(g)), await readF32(gpu.device, sim.adjoint.gCtrl)]);
      r.destroy();
      sim.destroy();
    }
    expect(res[0][0].some((v) => v !== 0)).toBe(true);
    expect(bytes(res[0][0]).equals(bytes(res[1][0]))).toBe(true);
    expect(bytes(res[0][1]).equals(bytes(res[1][1]))).toBe(true);
  });
}
