// Vertex-triangle self-contact (contact.tri.wgsl): a coarse free cloth patch with free vertices
// scattered within the thickness of its faces, edges and corners. One GPU step against the float64
// reference (both gathers find every pair), its adjoint against central differences over one step
// and a short rollout (and a deliberately wrong adjoint must fail), and the grid's gather giving the
// same bytes for a crowded cloud, every neighbour counted.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import { Rollout, RolloutError } from '../../src/core/rollout';
import { gradcheck } from '../../src/core/gradcheck';
import { mulberry32 } from '../../src/core/rng';
import { SpringSim } from '../../src/springs/simulator';
import { compileSpringScene } from '../../src/springs/model';
import { ptTriRef, rolloutRef } from '../../src/springs/reference';
import { springGradcheckSubject } from '../../src/springs/gradcheck-subject';
import type { SpringScene } from '../../src/springs/scene';
import { PipelineCache } from '../../src/gpu/pipeline-cache';

let gpu: GpuContext;
// one cache for every simulator here: lavapipe compiles a pipeline object at its first dispatch,
// minutes for these adjoints on a cold shader cache, so the tests share the objects
let cache: PipelineCache;
beforeAll(async () => { gpu = await requestGpu(); cache = new PipelineCache(gpu.device); });
afterAll(() => gpu?.destroy());

const H = 0.03;

/** A 2 x 2 quad patch (spacing 0.1) in the xz plane and `free` loose vertices within H of it. */
function patchAndPoints(free = 14, steps = 1): SpringScene {
  const r = mulberry32(7), nx = 2, sp = 0.1;
  const x: number[] = [], v: number[] = [], mass: number[] = [];
  for (let j = 0; j <= nx; j++) for (let i = 0; i <= nx; i++) {
    x.push(0.3 + sp * i + 0.01 * r(), 0.3 + 0.01 * r(), 0.3 + sp * j + 0.01 * r());
    v.push(0.1 * (r() - 0.5), 0.1 * (r() - 0.5), 0.1 * (r() - 0.5));
    mass.push(0.01);
  }
  const id = (i: number, j: number) => j * (nx + 1) + i;
  const tris: number[] = [];
  for (let j = 0; j < nx; j++) for (let i = 0; i < nx; i++) tris.push(id(i, j), id(i, j + 1), id(i + 1, j), id(i + 1, j), id(i, j + 1), id(i + 1, j + 1));
  for (let k = 0; k < free; k++) {
    // over the patch and a little past its edges, above and below the sheet
    x.push(0.28 + 0.24 * r(), 0.3 + (r() < 0.5 ? -1 : 1) * H * (0.3 + 0.6 * r()), 0.28 + 0.24 * r());
    v.push(0.2 * (r() - 0.5), 0.2 * (r() - 0.5), 0.2 * (r() - 0.5));
    mass.push(0.005);
  }
  return {
    kind: 'shell', name: 'test-vertex-triangle', dim: 3, dt: 1e-3, steps, gravity: [0, 0, 0], extent: [1, 1, 1],
    materials: [{ name: 'cloth', stiffness: 1, damping: 0, mu: 20, lambda: 10, bending: 0 }],
    vertices: { x, v, mass },
    triangles: { indices: tris, material: tris.filter((_, k) => k % 3 === 0).map(() => 0) },
    selfContact: { thickness: H, stiffness: 200, triangles: true },
  };
}

/** The patch with its far corner pulled out along the diagonal: its triangles' reach sets the copy's, about twice the others'. */
function stretchedCorner(): SpringScene {
  const s = patchAndPoints();
  const x = s.vertices.x.slice();
  x[3 * 8] += 0.08;
  x[3 * 8 + 2] += 0.08;
  return { ...s, vertices: { ...s.vertices, x } };
}

// the stretched corner: the vertex side's box is sized for the longest reach, and its cell and
// anchor tests (contact.tri.wgsl) must still leave every pair the triangle side finds
test.each([['', patchAndPoints], [' with one corner stretched', stretchedCorner]] as const)('one step%s finds every vertex-triangle pair (faces, edges, corners) as the float64 reference does, and the pairs\' forces balance', async (_, make) => {
  const scene = make();
  const m = compileSpringScene(scene);
  const x = (i: number) => Array.from(m.state0.subarray(6 * i, 6 * i + 3), Number);
  const regions = { face: 0, edge: 0, corner: 0 };
  for (let p = 9; p < m.n; p++) {
    for (let t = 0; t < m.triArea.length; t++) {
      const k = Array.from(m.triIdx.subarray(3 * t, 3 * t + 3));
      const { q, w } = ptTriRef(x(p), x(k[0]), x(k[1]), x(k[2]));
      if (Math.hypot(...x(p).map((y, a) => y - q[a])) >= H) continue;
      const zeros = w.filter((y) => y === 0).length;
      regions[zeros === 0 ? 'face' : zeros === 1 ? 'edge' : 'corner']++;
    }
  }
  console.log('vertex-triangle pairs by region', regions);
  expect(regions.face).toBeGreaterThan(3);
  expect(regions.edge).toBeGreaterThan(3);
  expect(regions.corner).toBeGreaterThan(0);
  const sim = await SpringSim.create(gpu, scene, { cache });
  const r = new Rollout(sim, 1, 'full');
  expect((await r.forward()).badStep).toBeNull();
  expect((await sim.readStatus()).contactSkipped).toBe(0);
  const out = await readF32(gpu.device, r.final.buf);
  r.destroy();
  sim.destroy();
  const ref = rolloutRef(m, m.state0, m.ctrl0, 1);
  let maxErr = 0, scale = 0;
  const mom = [0, 0, 0];
  for (let i = 0; i < m.n; i++) {
    for (let a = 0; a < 3; a++) {
      const k = 6 * i + 3 + a;
      maxErr = Math.max(maxErr, Math.abs(ref[k] - out[k]));
      scale = Math.max(scale, Math.abs(ref[k] - m.state0[k]));
      mom[a] += (ref[k] - m.state0[k]) / m.invMass[i];
    }
  }
  console.log(`one step: max |dv| ${scale.toExponential(3)}, GPU - reference ${maxErr.toExponential(3)}, momentum change ${mom.map((y) => y.toExponential(1)).join(' ')}`);
  // a pair one side missed would be off by dt kc (h - d) / m, up to 1.2 here
  expect(scale).toBeGreaterThan(0.3);
  expect(maxErr).toBeLessThan(1e-4 * scale);
  for (const y of mom) expect(Math.abs(y)).toBeLessThan(1e-9);
});

async function check(scene: SpringScene, steps: number, wrongAdjoint = false) {
  const subject = await springGradcheckSubject(gpu, scene, { wrongAdjoint, cache });
  try {
    const r = await gradcheck(subject, { steps, seed: 3 });
    console.log(`${scene.name} ${steps} steps${wrongAdjoint ? ' (wrong adjoint)' : ''}: max rel ${r.maxRelError.toExponential(2)}`, r.checks.map((c) => `${c.param}:${c.verdict}:${c.relError?.toExponential(1)}`).join(' '));
    return r;
  } finally {
    subject.destroy?.();
  }
}

// Lavapipe compiles a 3D adjoint with vertex-triangle contact in one to three minutes the first time
// (a shader cache keeps it after), and the wrong adjoint is a second one.
const COMPILE_S = 600;

for (const steps of [1, 12]) {
  test(`the adjoint over ${steps} step${steps > 1 ? 's' : ''} matches float64 central differences`, async () => {
    expect((await check(patchAndPoints(14, steps), steps)).ok).toBe(true);
  }, COMPILE_S * 1e3);
}

test('gradcheck fails on a deliberately wrong vertex-triangle adjoint (its derivative scaled by 1.05)', async () => {
  // bending 0 and no springs or colliders: of the terms FAULT scales, only vertex-triangle contact acts
  expect((await check(patchAndPoints(14, 1), 1, true)).ok).toBe(false);
}, COMPILE_S * 1e3);

test('the split adjoint (per-element passes, the kept neighbour list) gives the fused adjoint\'s bytes with vertex-triangle contact', async () => {
  // the gradchecks above take the fused path (23 vertices); the split path is what a cloth of any size runs
  const T = 12, scene = patchAndPoints(14, T);
  const grads = [];
  for (const adjoint of ['fused', 'split'] as const) {
    const sim = await SpringSim.create(gpu, scene, { adjoint, cache });
    expect(sim.adjointPath).toBe(adjoint);
    const w = new Float32Array(sim.stateBytes / 4).map((_, k) => Math.sin(0.37 * k + 1));
    const ro = new Rollout(sim, T, 'auto');
    expect((await ro.forward()).badStep).toBeNull();
    const gFinal = sim.createState('w', w);
    const g0 = await readF32(gpu.device, await ro.backward(gFinal));
    grads.push({ g0, gc: await readF32(gpu.device, sim.paramGrad) });
    gFinal.destroy();
    ro.destroy();
    sim.destroy();
  }
  const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
  expect(grads[0].gc.some((y) => y !== 0)).toBe(true);
  expect(bytes(grads[1].g0)).toBe(bytes(grads[0].g0));
  expect(bytes(grads[1].gc)).toBe(bytes(grads[0].gc));
}, COMPILE_S * 1e3);

test('each batch copy of the split adjoint with vertex-triangle contact gives its single run\'s bytes (adj_tri_contact writes per copy)', async () => {
  const T = 3, scene = patchAndPoints(14, T);
  const grads: Float32Array[][] = [];
  for (const batch of [1, 2]) {
    const sim = await SpringSim.create(gpu, scene, { adjoint: 'split', batch, cache });
    const per = sim.stateBytes / 4 / batch;
    const w = new Float32Array(sim.stateBytes / 4).map((_, k) => Math.sin(0.37 * (k % per) + 1));
    const ro = new Rollout(sim, T, 'full');
    expect((await ro.forward()).badStep).toBeNull();
    const gFinal = sim.createState('w', w);
    const g0 = await readF32(gpu.device, await ro.backward(gFinal));
    grads.push(Array.from({ length: batch }, (_, b) => g0.slice(b * per, (b + 1) * per)));
    gFinal.destroy();
    ro.destroy();
    sim.destroy();
  }
  const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
  expect(grads[0][0].some((y) => y !== 0)).toBe(true);
  for (const g of grads[1]) expect(bytes(g)).toBe(bytes(grads[0][0]));
}, COMPILE_S * 1e3);

test('a crowded cloud (about 40 neighbours a vertex) gives the same bytes every run and in every batch copy, with every neighbour counted', async () => {
  const r = mulberry32(3), n = 48, h = 0.02;
  const x: number[] = [];
  for (let i = 0; i < n; i++) for (let a = 0; a < 3; a++) x.push(0.4 + 0.4 * h * (r() - 0.5) + (a === 0 ? 0.45 * h * (i % 2) : 0));
  const scene: SpringScene = {
    kind: 'springs', name: 'crowd', dim: 3, dt: 1e-4, steps: 1, gravity: [0, 0, 0], extent: [1, 1, 1],
    materials: [{ name: 'none', stiffness: 1, damping: 0 }],
    vertices: { x, v: new Array(3 * n).fill(0), mass: new Array(n).fill(1e-3) },
    selfContact: { thickness: h, stiffness: 100 },
  };
  const runs: Float32Array[] = [];
  for (let k = 0; k < 2; k++) {
    const sim = await SpringSim.create(gpu, scene, { batch: 3, cache });
    const ro = new Rollout(sim, 1, 'full');
    expect((await ro.forward()).badStep).toBeNull();
    const out = await readF32(gpu.device, ro.final.buf);
    ro.destroy();
    sim.destroy();
    for (let b = 0; b < 3; b++) runs.push(out.slice(b * n * 6, (b + 1) * n * 6));
  }
  const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
  for (const o of runs) expect(bytes(o)).toBe(bytes(runs[0]));
  const m = compileSpringScene(scene);
  const ref = rolloutRef(m, m.state0, m.ctrl0, 1);
  let minNb = Infinity, maxErr = 0, scale = 0;
  for (let i = 0; i < n; i++) {
    let nb = 0;
    for (let j = 0; j < n; j++) if (j !== i && Math.hypot(x[3 * i] - x[3 * j], x[3 * i + 1] - x[3 * j + 1], x[3 * i + 2] - x[3 * j + 2]) < h) nb++;
    minNb = Math.min(minNb, nb);
    for (let a = 3; a < 6; a++) {
      maxErr = Math.max(maxErr, Math.abs(ref[6 * i + a] - runs[0][6 * i + a]));
      scale = Math.max(scale, Math.abs(ref[6 * i + a]));
    }
  }
  console.log(`crowd: at least ${minNb} neighbours a vertex; GPU - reference ${maxErr.toExponential(3)} of ${scale.toExponential(3)}`);
  expect(minNb).toBeGreaterThan(16);
  expect(maxErr).toBeLessThan(1e-4 * scale);
});

test('a triangle stretched past the search\'s 8 cells is reported with its step, not searched', async () => {
  const base = patchAndPoints(14, 4), x0 = base.vertices.x.slice(0, 3);
  // the gripper holds vertex 0 where it is (row 0), then carries it 3 away (row 1 on)
  const scene = { ...base, grippers: [{ name: 'yank', vertices: [0], position: [x0, [x0[0] + 3, x0[1], x0[2]]] }] };
  const sim = await SpringSim.create(gpu, scene, { cache });
  const r = new Rollout(sim, 4, 'full');
  const s = await r.forward();
  r.destroy();
  sim.destroy();
  // step 1 carries vertex 0 away; from step 2 its triangles (and every vertex side: the reach) are too wide
  expect(s.contactSkippedStep).toBe(2);
  expect(s.contactSkipped).toBeGreaterThan(0);
  expect(sim.describeStatus(s)).toContain('self-contact searches left out from step 2');
});

test('a triangle carried past the reach of i32 cells is left out too, not searched over 2^32 cells per axis', async () => {
  const base = patchAndPoints(14, 4), x0 = base.vertices.x.slice(0, 3);
  // 1e12 away its cells saturate in i32 (hi - lo wrapped negative and passed the span check: the step hung)
  const scene = { ...base, grippers: [{ name: 'fling', vertices: [0], position: [x0, [x0[0] + 1e12, x0[1], x0[2]]] }] };
  const sim = await SpringSim.create(gpu, scene, { cache });
  const r = new Rollout(sim, 4, 'full');
  try {
    const s = await r.forward().catch((e: Error) => e);
    if (s instanceof Error) expect(s).toBeInstanceOf(RolloutError);
    else expect(s.contactSkippedStep).toBe(2);
  } finally {
    r.destroy();
    sim.destroy();
  }
}, 60_000);
