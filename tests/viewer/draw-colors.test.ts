// The draw kernel's colours by strain and by actuation (src/shaders/viewer/pack.wgsl), on the real
// device, against the same ramps computed here in float64: a particle with a known F gets the strain
// colour of its Green strain (a fluid's record holding F - I), and a robot's muscles the actuation
// colour of their channel's value at the row of the step shown; passive items their grey. A
// mass-spring vertex gets the colour of the mean |l / L - 1| of its springs, a shell vertex that of
// the mean in-plane Green strain of its triangles (computed here from the rest and current metrics,
// E = (Ds^T Ds - Dm^T Dm) / 2 in the edge basis, |E|^2 = tr(E M^-1 E M^-1), M = Dm^T Dm: no frame).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { createBuffer, readF32 } from '../../src/gpu/buffers';
import { PipelineCache } from '../../src/gpu/pipeline-cache';
import { SimRunner } from '../../src/viewer/sim-runner';
import { positionField } from '../../src/core/simulator';
import { DrawKernels } from '../../src/viewer/draw-kernels';
import type { ColorMode } from '../../src/viewer/scene-view';
import { buildMpmScene, buildScene } from '../../scenes/index';
import type { MpmScene } from '../../src/mpm/scene';
import type { SpringScene } from '../../src/springs/scene';
import { clothGrid } from '../../scenes/spring-builders';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

/** Colours agree to this (float32 ramps against float64 ones). */
const TOL = 1e-5;

const mix = (a: number[], b: number[], t: number) => a.map((x, i) => x + t * (b[i] - x));
function strainColor(t: number): number[] {
  const rest = [0.1, 0.3, 0.4], mid = [0.3, 0.75, 0.35], high = [1, 0.95, 0.55];
  return t < 0.5 ? mix(rest, mid, 2 * t) : mix(mid, high, 2 * t - 1);
}
function actuationColor(s: number): number[] {
  const neg = [0.1, 0.8, 0.9], zero = [0.5, 0.5, 0.52], pos = [0.95, 0.2, 0.75];
  return s >= 0 ? mix(zero, pos, s) : mix(zero, neg, -s);
}
const PASSIVE = [0.28, 0.29, 0.32];

/** The tint buffer after the draw kernels ran on the runner's current state at `step`. */
async function tints(runner: SimRunner, mode: ColorMode, step: number): Promise<Float32Array> {
  const src = runner.source();
  const dev = gpu.device;
  const draw = createBuffer(dev, 'test.draw', src.n * 16);
  const tint = createBuffer(dev, 'test.tint', src.n * 16);
  const k = new DrawKernels(dev, new PipelineCache(dev), src, { draw, tint, normal: null });
  k.colorMode = mode;
  k.writeParams();
  const enc = dev.createCommandEncoder();
  k.encode(enc, runner.current, step);
  dev.queue.submit([enc.finish()]);
  const out = await readF32(dev, tint);
  k.dispose();
  draw.destroy();
  tint.destroy();
  return out;
}

function expectColor(got: Float32Array, i: number, want: number[], what: string): void {
  for (let c = 0; c < 3; c++) expect(Math.abs(got[4 * i + c] - want[c]), `${what}: item ${i} channel ${c}: ${got[4 * i + c]} vs ${want[c]}`).toBeLessThan(TOL);
}

describe('draw kernels: colour modes', () => {
  it('colours MPM particles by the Green strain of F (a fluid by its record F - I)', async () => {
    const jelly = buildMpmScene('jelly-drop-2d');
    // a second group, fluid, for the last particle
    const scene: MpmScene = { ...jelly, groups: [...jelly.groups, { name: 'water', material: 'fluid', E: 60, nu: 0.4, density: 1, viscosity: 0 }],
      particles: { ...jelly.particles, group: jelly.particles.group.map((g, p) => (p === jelly.particles.group.length - 1 ? 1 : g)) } };
    const runner = await SimRunner.create(gpu, scene, new PipelineCache(gpu.device));
    const { state } = runner.sim;
    const F = state.fields.find((f) => f.name === 'F')!;
    const rec = runner.sim.state0.slice();
    const n = state.items;
    const setF = (p: number, f: number[]) => rec.set(f, p * state.stride + F.offset);
    setF(0, [1.2, 0, 0, 1]); // E = diag(0.22, 0): past the top of the ramp
    setF(1, [1.05, 0, 0, 1]); // |E| = (1.05^2 - 1) / 2 = 0.05125
    setF(2, [1, 0.1, 0, 1]); // shear: F^T F - I = [[0, 0.1], [0.1, 0.01]]
    setF(n - 1, [0.02, 0, 0, 0.02]); // fluid, F - I: F = 1.02 I, E = (1.0404 - 1) / 2 I
    runner.showState(rec, 0);
    const t = await tints(runner, 'strain', 0);
    const max = runner.source().strainMax;
    const green = (e: number[]) => Math.hypot(...e) / 2;
    expectColor(t, 0, strainColor(1), 'stretched 20%');
    expectColor(t, 1, strainColor(green([1.05 ** 2 - 1, 0, 0, 0]) / max), 'stretched 5%');
    expectColor(t, 2, strainColor(green([0, 0.1, 0.1, 0.01]) / max), 'sheared');
    expectColor(t, 3, strainColor(0), 'at rest');
    expectColor(t, n - 1, strainColor(green([0.0404, 0, 0, 0.0404]) / max), 'fluid');
    runner.destroy();
  });

  it("colours a robot's muscles by their channel's activation at the step shown, and passive items grey", async () => {
    const scene = buildMpmScene('robot-walk-2d');
    const runner = await SimRunner.create(gpu, scene, new PipelineCache(gpu.device));
    const src = runner.source();
    expect(src.actuation).not.toBeNull();
    const C = scene.actuation!.channels, max = src.actuation!.max;
    for (const step of [1, 7, 30]) {
      const t = await tints(runner, 'actuation', step);
      // the first particle of each group (groups are contiguous; group g drives channel g)
      const first = scene.groups.map((_, g) => scene.particles.group.indexOf(g));
      first.forEach((p, g) => {
        const a = scene.actuation!.values![(step - 1) * C + scene.groups[g].actuator!.channel];
        expectColor(t, p, actuationColor(a / max), `step ${step}, group ${g}`);
      });
    }
    runner.destroy();
    // a spring robot: vertices the mean of their actuated springs; none here is passive, so check one with a known list
    const spring = buildScene('spring-robot-2d');
    const sr = await SimRunner.create(gpu, spring, new PipelineCache(gpu.device));
    const map = sr.source().actuation!.map;
    const n = sr.sim.state.items;
    const t = await tints(sr, 'actuation', 5);
    const sa = 'vertices' in spring ? spring.actuation! : null;
    for (let i = 0; i < n; i++) {
      const ch = Array.from(map.subarray(n + 1 + map[i], n + 1 + map[i + 1]));
      if (ch.length === 0) { expectColor(t, i, PASSIVE, `vertex ${i}`); continue; }
      const mean = ch.reduce((s, c) => s + sa!.values![4 * sa!.channels + c], 0) / ch.length;
      expectColor(t, i, actuationColor(Math.max(-1, Math.min(1, mean / sr.source().actuation!.max))), `vertex ${i}`);
    }
    sr.destroy();
  });

  it('colours mass-spring vertices by the mean |l / L - 1| of their springs', async () => {
    const scene = buildScene('spring-robot-2d') as SpringScene;
    const runner = await SimRunner.create(gpu, scene, new PipelineCache(gpu.device));
    const { state } = runner.sim;
    const off = positionField(state).offset;
    const rec = runner.sim.state0.slice();
    const x0 = scene.vertices.x;
    // vertex 0 moved 3% of the domain right and vertex 1 up: its springs stretch or shorten
    rec[0 * state.stride + off] += 0.03;
    rec[1 * state.stride + off + 1] += 0.02;
    runner.showState(rec, 0);
    const t = await tints(runner, 'strain', 0);
    const n = state.items, sp = scene.springs!;
    const at = (v: number) => [rec[v * state.stride + off], rec[v * state.stride + off + 1]];
    const sum = new Float64Array(n), count = new Float64Array(n);
    for (let k = 0; k < sp.pairs.length / 2; k++) {
      const [i, j] = [sp.pairs[2 * k], sp.pairs[2 * k + 1]];
      const L = sp.restLength?.[k] ?? Math.hypot(x0[2 * i] - x0[2 * j], x0[2 * i + 1] - x0[2 * j + 1]);
      const e = Math.abs(Math.hypot(at(i)[0] - at(j)[0], at(i)[1] - at(j)[1]) / L - 1);
      for (const v of [i, j]) { sum[v] += e; count[v]++; }
    }
    const max = runner.source().strainMax;
    let strained = 0;
    for (let v = 0; v < n; v++) {
      const e = count[v] ? sum[v] / count[v] : 0;
      if (e > 1e-3) strained++;
      expectColor(t, v, strainColor(Math.min(e / max, 1)), `vertex ${v} (mean strain ${e.toFixed(4)})`);
    }
    expect(strained).toBeGreaterThan(2);
    runner.destroy();
  });

  it('colours shell vertices by the mean in-plane Green strain of their triangles', async () => {
    const mesh = clothGrid({ nx: 4, ny: 4, size: [0.4, 0.4], origin: [0.3, 0.5, 0.3], plane: 'xz', density: 0.2 });
    const scene: SpringScene = {
      kind: 'shell', name: 'strain-cloth', dim: 3, dt: 1e-3, steps: 10, gravity: [0, -9.8, 0], extent: [1, 1, 1],
      materials: [{ name: 'cotton', stiffness: 1, damping: 0, mu: 20, lambda: 10, bending: 2e-5 }],
      vertices: mesh.vertices, triangles: mesh.triangles,
    };
    const runner = await SimRunner.create(gpu, scene, new PipelineCache(gpu.device));
    const { state } = runner.sim;
    const off = positionField(state).offset;
    const rec = runner.sim.state0.slice();
    const n = state.items;
    // stretched 4% along x, sheared (z moves with x), and one vertex lifted out of the plane
    for (let v = 0; v < n; v++) {
      const b = v * state.stride + off, x = rec[b] - 0.3;
      rec[b] = 0.3 + 1.04 * x;
      rec[b + 2] += 0.05 * x;
    }
    rec[7 * state.stride + off + 1] += 0.03;
    runner.showState(rec, 0);
    const t = await tints(runner, 'strain', 0);
    const x0 = scene.vertices.x, tris = scene.triangles!.indices;
    const cur = (v: number) => [0, 1, 2].map((k) => rec[v * state.stride + off + k]);
    const rest = (v: number) => [0, 1, 2].map((k) => x0[3 * v + k]);
    const gram = (p: (v: number) => number[], a: number, b: number, c: number) => {
      const e1 = p(b).map((q, k) => q - p(a)[k]), e2 = p(c).map((q, k) => q - p(a)[k]);
      const d = (u: number[], w: number[]) => u[0] * w[0] + u[1] * w[1] + u[2] * w[2];
      return [[d(e1, e1), d(e1, e2)], [d(e1, e2), d(e2, e2)]];
    };
    const mul = (A: number[][], B: number[][]) => A.map((r) => [0, 1].map((j) => r[0] * B[0][j] + r[1] * B[1][j]));
    const sum = new Float64Array(n), count = new Float64Array(n);
    for (let k = 0; k < tris.length; k += 3) {
      const [a, b, c] = [tris[k], tris[k + 1], tris[k + 2]];
      const M = gram(rest, a, b, c), G = gram(cur, a, b, c);
      const det = M[0][0] * M[1][1] - M[0][1] * M[1][0];
      const Mi = [[M[1][1] / det, -M[0][1] / det], [-M[1][0] / det, M[0][0] / det]];
      const E = G.map((r, i) => r.map((g, j) => (g - M[i][j]) / 2));
      const P = mul(mul(mul(E, Mi), E), Mi);
      const e = Math.sqrt(P[0][0] + P[1][1]);
      for (const v of [a, b, c]) { sum[v] += e; count[v]++; }
    }
    const max = runner.source().strainMax;
    for (let v = 0; v < n; v++) expectColor(t, v, strainColor(Math.min(sum[v] / count[v] / max, 1)), `vertex ${v} (mean strain ${(sum[v] / count[v]).toFixed(4)})`);
    // at rest: the bottom of the ramp everywhere
    runner.showState(runner.sim.state0, 0);
    const r = await tints(runner, 'strain', 0);
    for (let v = 0; v < n; v++) expectColor(r, v, strainColor(0), `vertex ${v} at rest`);
    runner.destroy();
  });
});
