// Physics sanity of SpringSim's WGSL on the GPU: an undamped spring chain keeps its energy, a cloth
// hung from two corners comes to rest with the float64 reference's sag, a cloth dropped on a
// sphere drapes over it without passing through, and a cloth folded in half keeps its layers apart.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import { Rollout } from '../../src/core/rollout';
import { SpringSim } from '../../src/springs/simulator';
import { compileSpringScene, MAT_STRIDE, type SpringModel } from '../../src/springs/model';
import { forcesRef, rolloutRef } from '../../src/springs/reference';
import type { SpringScene } from '../../src/springs/scene';
import { clothCorners, clothGrid, clothVertex } from '../../scenes/spring-builders';
import { build as buildDrape } from '../../scenes/cloth-drape-3d';
import { build as buildFold } from '../../scenes/cloth-fold-3d';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

/** Runs `steps` steps on the GPU from `state0` (default: the scene's) and reads the final state back. */
async function finalState(sim: SpringSim, steps: number, state0?: Float32Array): Promise<Float32Array> {
  const r = new Rollout(sim, steps, 'auto');
  expect((await r.forward(state0)).badStep).toBeNull();
  const out = await readF32(gpu.device, r.final.buf);
  r.destroy();
  return out;
}

/** The scene's first `steps` steps on the GPU: the final state. */
async function runScene(scene: SpringScene, steps: number): Promise<Float32Array> {
  const sim = await SpringSim.create(gpu, scene);
  const out = await finalState(sim, steps);
  sim.destroy();
  return out;
}

/** Vertex i's position and velocity in a 3D state ([x (3), v (3)] per vertex). */
const pos3 = (s: ArrayLike<number>, i: number) => [s[6 * i], s[6 * i + 1], s[6 * i + 2]];
const speed3 = (s: ArrayLike<number>, i: number) => Math.hypot(s[6 * i + 3], s[6 * i + 4], s[6 * i + 5]);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const maxOf = (a: number[]) => a.reduce((p, c) => Math.max(p, c), -Infinity);
const minOf = (a: number[]) => a.reduce((p, c) => Math.min(p, c), Infinity);

/** Kinetic plus spring energy (k L (l / L - 1)^2 / 2 per spring) of a 2D state, with the model's float32 masses, stiffnesses, rest lengths. */
function chainEnergy(m: SpringModel, s: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < m.n; i++) e += (s[4 * i + 2] ** 2 + s[4 * i + 3] ** 2) / (2 * m.invMass[i]);
  for (let k = 0; k < m.springRest.length; k++) {
    const i = m.springPairs[2 * k], j = m.springPairs[2 * k + 1], L = m.springRest[k];
    const l = Math.hypot(s[4 * j] - s[4 * i], s[4 * j + 1] - s[4 * i + 1]);
    e += (m.ctrl0[m.springMat[k] * MAT_STRIDE] * L * (l / L - 1) ** 2) / 2;
  }
  return e;
}

/**
 * The modified energy that symplectic Euler (v' = v + dt f(x) / m, x' = x + dt v') conserves:
 * E + (dt / 2) v . f(x), with v the velocity that produced x. Exact for a linear system (check:
 * one oscillator, c = -dt w^2 makes v^2 + w^2 x^2 + c x v invariant), O(dt^2) off otherwise.
 */
function shadowEnergy(m: SpringModel, s: ArrayLike<number>): number {
  const x = range(m.n).map((i) => [s[4 * i], s[4 * i + 1]]), v = range(m.n).map((i) => [s[4 * i + 2], s[4 * i + 3]]);
  const f = forcesRef(m, x, v, m.ctrl0, 0, m.hingeRest0);
  return chainEnergy(m, s) + (m.dt / 2) * range(m.n).reduce((a, i) => a + v[i][0] * f[i][0] + v[i][1] * f[i][1], 0);
}

test('an undamped spring chain keeps its energy over 2000 steps of symplectic Euler', async () => {
  // 8 masses of 1/8 in a line, springs of rest 0.1 and k = 100 (k / L = 1000 N/m): the fastest mode
  // has omega_max = 2 sqrt(1000 / 0.125) = 179 rad/s, so dt = 2.5e-4 gives dt omega_max = 0.045.
  const n = 8, L = 0.1, dt = 2.5e-4, steps = 2000, every = 20;
  const omegaMax = 2 * Math.sqrt(100 / L / 0.125);
  const x: number[] = [], v: number[] = [], pairs: number[] = [];
  for (let i = 0; i < n; i++) {
    x.push(0.2 + L * i + 0.012 * Math.sin(1.7 * i), 0.5 + 0.004 * Math.cos(2.3 * i));
    v.push(0.3 * Math.sin(0.9 * i + 0.4), 0.2 * Math.cos(1.3 * i));
    if (i > 0) pairs.push(i - 1, i);
  }
  const scene: SpringScene = {
    kind: 'springs', name: 'energy-chain', dim: 2, dt, steps, gravity: [0, 0], damping: 0, extent: [1.2, 1],
    materials: [{ name: 'steel', stiffness: 100, damping: 0 }],
    vertices: { x, v, mass: new Array(n).fill(0.125) },
    springs: { pairs, restLength: new Array(n - 1).fill(L), material: new Array(n - 1).fill(0) },
  };
  const m = compileSpringScene(scene);
  const sim = await SpringSim.create(gpu, scene);
  // one rollout of `every` steps, restarted from the state it read back (the chain has no tracks)
  const r = new Rollout(sim, every, 'full');
  let s = sim.state0;
  const E = [chainEnergy(m, s)], H = [shadowEnergy(m, s)];
  for (let t = 0; t < steps; t += every) {
    expect((await r.forward(s)).badStep).toBeNull();
    s = await readF32(gpu.device, r.final.buf);
    E.push(chainEnergy(m, s));
    H.push(shadowEnergy(m, s));
  }
  r.destroy();
  sim.destroy();
  const rel = (a: number[]) => maxOf(a.map((e) => Math.abs(e - a[0]))) / a[0];
  console.log(`chain: dt omega_max ${(dt * omegaMax).toFixed(4)}; max |E - E0| / E0 ${rel(E).toExponential(3)}; modified energy ${rel(H).toExponential(3)}`);
  // E - (modified energy) = -(dt / 2) v . f, at most (dt omega / 2) E per mode, so E wanders within
  // dt omega_max E of E0 (measured 1.5e-2 against 4.5e-2), with no drift: the modified energy,
  // conserved to O((dt omega)^2), stays within (dt omega_max)^2 / 4 = 5e-4 (measured 7.5e-5).
  expect(rel(E)).toBeLessThan(dt * omegaMax);
  expect(rel(H)).toBeLessThan((dt * omegaMax) ** 2 / 4);
});

test('a cloth hung from its two top corners comes to rest with the reference sag', async () => {
  // A vertical 6 x 6 sheet pinned at its top corners sags under its weight; damping 10 / s takes
  // its modes down by exp(-5 t) at least (e^-10 over the 2 s simulated).
  const nx = 6, size = 0.3, steps = 2000, y0 = 0.5;
  const mesh = clothGrid({ nx, ny: nx, size: [size, size], origin: [0.2, y0, 0.5], plane: 'xy', density: 0.2 });
  const scene: SpringScene = {
    kind: 'shell', name: 'hanging-cloth', dim: 3, dt: 1e-3, steps, gravity: [0, -9.8, 0], damping: 10, extent: [0.8, 1, 1],
    materials: [{ name: 'cotton', stiffness: 1, damping: 0, mu: 5, lambda: 2, bending: 1e-4 }],
    vertices: mesh.vertices,
    triangles: mesh.triangles,
    pinned: [clothVertex(nx, 0, nx), clothVertex(nx, nx, nx)],
  };
  const g = await runScene(scene, steps);
  const m = compileSpringScene(scene);
  const ref = rolloutRef(m, m.state0, m.ctrl0, steps);
  const sag = (s: ArrayLike<number>) => y0 - minOf(range(m.n).map((i) => s[6 * i + 1]));
  const vmax = maxOf(range(m.n).map((i) => speed3(g, i)));
  console.log(`hanging: sag GPU ${sag(g).toFixed(7)}, reference ${sag(ref).toFixed(7)}, max speed ${vmax.toExponential(3)} m/s`);
  expect(sag(g)).toBeGreaterThan(0.005); // it does sag: the stretch of the sheet under its weight
  // float32 against float64 at the same equilibrium: within 10 um (measured 1e-7 on a sag of 18.7 mm)
  expect(Math.abs(sag(g) - sag(ref))).toBeLessThan(1e-5);
  expect(vmax).toBeLessThan(1e-3); // measured 6e-5 m/s
});

test('a cloth dropped on a sphere drapes over it without passing through', async () => {
  // cloth-drape-3d with a 16 x 16 cloth in place of its 32 x 32, run long enough for the part over
  // the ball to settle (its light damping leaves the hanging skirt swinging for longer, and the
  // skirt's swings keep the top's instantaneous speeds noisy: rest is judged by how far it moves)
  const nq = 16, settle = 6000, hold = 400;
  const mesh = clothGrid({ nx: nq, ny: nq, size: [1, 1], origin: [0.1, 0.8, 0.1], plane: 'xz', density: 0.2 });
  const scene: SpringScene = { ...buildDrape(), name: 'cloth-drape-16', steps: settle, vertices: mesh.vertices, triangles: mesh.triangles };
  const ball = scene.colliders![0], c = ball.position[0], R = ball.radius!, soft = scene.colliderSoftness!;
  const sim = await SpringSim.create(gpu, scene);
  const settled = await finalState(sim, settle);
  // the ball is held (one track row), so restarting the step count changes nothing
  const s = await finalState(sim, hold, settled);
  sim.destroy();
  const n = mesh.vertices.mass.length;
  const gap = range(n).map((i) => { const p = pos3(s, i); return Math.hypot(p[0] - c[0], p[1] - c[1], p[2] - c[2]) - R; });
  const top = range(n).filter((i) => { const p = pos3(s, i); return Math.hypot(p[0] - c[0], p[2] - c[2]) < 0.5 * R; });
  const topGap = maxOf(top.map((i) => gap[i]));
  const topMove = maxOf(top.map((i) => { const a = pos3(settled, i), b = pos3(s, i); return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]); }));
  const cornerY = clothCorners(nq, nq).map((i) => s[6 * i + 1]);
  console.log(`drape: min gap ${minOf(gap).toExponential(3)}; over the top (${top.length} vertices) max gap ${topGap.toExponential(3)}, moved at most ${topMove.toExponential(3)} in the last ${hold} steps; corner heights ${cornerY.map((y) => y.toFixed(3)).join(' ')} (sphere top ${c[1] + R})`);
  // Soft contact ramps up over a penetration depth of `soft`: no vertex sinks deeper than that.
  expect(minOf(gap)).toBeGreaterThan(-soft);
  // Resting on the ball: within 0.02 of its surface (the cloth's own thickness of vertices over a curved surface).
  expect(top.length).toBeGreaterThan(0);
  expect(topGap).toBeLessThan(0.02);
  // at rest: the top moves less than a millimetre in 0.2 s (measured 0.04 mm; it fell onto the ball at 1.7 m/s)
  expect(topMove).toBeLessThan(1e-3);
  for (const y of cornerY) expect(y).toBeLessThan(c[1]); // below the equator, so below the top too
});

// cloth-fold-3d's whole rollout with its hand-made fold (the grippers carry the corners along half
// circles over 600 steps, then hold), shared by the two tests below
const N_FOLD = 24;
let folded: Promise<{ s: Float32Array; thickness: number }> | null = null;
function foldedState() {
  folded ??= (async () => {
    const scene = buildFold({ track: 'fold' });
    return { s: await runScene(scene, scene.steps), thickness: scene.selfContact!.thickness };
  })();
  return folded;
}

test('a cloth folded in half by its grippers: wherever the grasped half lies over the far half, it lies above it', async () => {
  // Each grasped-half vertex is compared with the far-half vertex nearest to it seen from above;
  // where that one is within a cell (the two layers overlap there), the grasped one must be on
  // top. Rows near the crease (the U-turn) are left out, and most of the half must overlap.
  const { s, thickness } = await foldedState();
  const N = N_FOLD, cell = 0.6 / N;
  let minDy = Infinity, worst = '', minDist = Infinity, overlapping = 0, top = 0;
  for (let j = 0; j <= N / 2 - 3; j++) {
    for (let i = 0; i <= N; i++) {
      top++;
      const a = pos3(s, clothVertex(N, i, j));
      let best = Infinity, b: number[] = [], at = '';
      for (let j2 = N / 2 + 3; j2 <= N; j2++) for (let i2 = 0; i2 <= N; i2++) {
        const c = pos3(s, clothVertex(N, i2, j2)), h = Math.hypot(a[0] - c[0], a[2] - c[2]);
        if (h < best) { best = h; b = c; at = `(${i2}, ${j2})`; }
      }
      if (best > cell) continue;
      overlapping++;
      if (a[1] - b[1] < minDy) { minDy = a[1] - b[1]; worst = `(${i}, ${j}) over ${at}`; }
      minDist = Math.min(minDist, Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]));
    }
  }
  console.log(`fold (layers): ${overlapping} of ${top} grasped-half vertices over the far half; min y_top - y_bottom ${minDy.toExponential(3)} at ${worst}; min distance ${minDist.toExponential(3)} (thickness ${thickness})`);
  expect(overlapping).toBeGreaterThan(top / 2);
  expect(minDy).toBeGreaterThan(0);
  expect(minDist).toBeGreaterThan(0.5 * thickness);
});

test('a folded cloth never passes through itself: vertices three or more cells apart stay half a thickness apart', async () => {
  // Wherever the cloth lies over itself, whichever cells end up there: at the crease (a U-turn of
  // about one thickness across) the cells three apart along the cloth are still that far apart.
  const { s, thickness } = await foldedState();
  const N = N_FOLD;
  let minDist = Infinity, where = '';
  for (let j = 0; j <= N; j++) for (let i = 0; i <= N; i++) {
    const a = pos3(s, clothVertex(N, i, j));
    for (let j2 = 0; j2 <= N; j2++) for (let i2 = 0; i2 <= N; i2++) {
      if (Math.max(Math.abs(i - i2), Math.abs(j - j2)) < 3 || clothVertex(N, i2, j2) <= clothVertex(N, i, j)) continue;
      const b = pos3(s, clothVertex(N, i2, j2));
      const d = Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
      if (d < minDist) { minDist = d; where = `(${i}, ${j}) and (${i2}, ${j2})`; }
    }
  }
  const far = pos3(s, clothVertex(N, N / 2, N))[2], edge0 = pos3(s, clothVertex(N, N / 2, 0))[2];
  console.log(`fold (any layers): min distance ${minDist.toExponential(3)} between ${where} (thickness ${thickness}); z of the far edge (i = ${N / 2}, j = ${N}) ${far.toFixed(3)} (0.8 before the fold), of the grasped edge (i = ${N / 2}, j = 0) ${edge0.toFixed(3)}`);
  expect(minDist).toBeGreaterThan(0.5 * thickness);
});
