// Vertex-triangle contact in a rollout: a coarse cloth (spacing 3.3 thicknesses) thrown onto another
// one held by its rim, offset by half a cell, so that its vertices land on the middles of the lower
// cloth's faces, where no vertex of it lies within the thickness. Vertex-vertex contact alone lets
// it through; with vertex-triangle contact it stays on top.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import { Rollout } from '../../src/core/rollout';
import { SpringSim } from '../../src/springs/simulator';
import type { SpringScene } from '../../src/springs/scene';
import { clothGrid, clothVertex } from '../../scenes/spring-builders';
import { ptTriRef } from '../../src/springs/reference';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

const SP = 0.05, H = 0.015, NB = 4, NT = 3, Y0 = 0.3, STEPS = 300;

/** The lower cloth (NB x NB cells, rim pinned) and the upper one (NT x NT, half a cell over), thrown down. */
function stacked(triangles: boolean): SpringScene {
  const lower = clothGrid({ nx: NB, ny: NB, size: [NB * SP, NB * SP], origin: [0.3, Y0, 0.3], plane: 'xz', density: 0.2 });
  const upper = clothGrid({ nx: NT, ny: NT, size: [NT * SP, NT * SP], origin: [0.3 + SP / 2, Y0 + 2 * H, 0.3 + SP / 2], plane: 'xz', density: 0.2 });
  const nl = lower.vertices.mass.length, nu = upper.vertices.mass.length;
  const pinned: number[] = [];
  for (let j = 0; j <= NB; j++) for (let i = 0; i <= NB; i++) if (i === 0 || j === 0 || i === NB || j === NB) pinned.push(clothVertex(NB, i, j));
  const v = new Array(3 * (nl + nu)).fill(0);
  for (let k = 0; k < nu; k++) v[3 * (nl + k) + 1] = -0.5;
  const indices = [...lower.triangles.indices, ...upper.triangles.indices.map((i) => i + nl)];
  return {
    kind: 'shell', name: 'stacked-cloths', dim: 3, dt: 1e-3, steps: STEPS, gravity: [0, -9.8, 0], damping: 1, extent: [1, 1, 1],
    materials: [{ name: 'cotton', stiffness: 1, damping: 0, mu: 10, lambda: 5, bending: 5e-5 }],
    vertices: { x: [...lower.vertices.x, ...upper.vertices.x], v, mass: [...lower.vertices.mass, ...upper.vertices.mass] },
    triangles: { indices, material: indices.filter((_, k) => k % 3 === 0).map(() => 0) },
    pinned,
    selfContact: { thickness: H, stiffness: 20, triangles },
  };
}

/** Per upper vertex: its height over the lower cloth's surface straight below it (+ above, - below). */
function heightsOverLower(scene: SpringScene, s: Float32Array): number[] {
  const nl = (NB + 1) ** 2, nu = (NT + 1) ** 2, T = 2 * NB * NB;
  const x = (i: number) => [s[6 * i], s[6 * i + 1], s[6 * i + 2]];
  const idx = scene.triangles!.indices;
  const out: number[] = [];
  for (let k = nl; k < nl + nu; k++) {
    const p = x(k);
    // the lower triangle whose xz projection holds p: the closest point of the flattened triangle is p itself
    for (let t = 0; t < T; t++) {
      const c = [0, 1, 2].map((q) => x(idx[3 * t + q]));
      const flat = (y: number[]) => [y[0], 0, y[2]];
      const { q, w } = ptTriRef(flat(p), flat(c[0]), flat(c[1]), flat(c[2]));
      if (Math.hypot(q[0] - p[0], q[2] - p[2]) > 1e-9) continue;
      out.push(p[1] - (w[0] * c[0][1] + w[1] * c[1][1] + w[2] * c[2][1]));
      break;
    }
  }
  return out;
}

async function run(triangles: boolean): Promise<{ scene: SpringScene; s: Float32Array }> {
  const scene = stacked(triangles);
  const sim = await SpringSim.create(gpu, scene);
  const r = new Rollout(sim, STEPS, 'auto');
  expect((await r.forward()).badStep).toBeNull();
  expect((await sim.readStatus()).contactSkipped).toBe(0);
  const s = await readF32(gpu.device, r.final.buf);
  r.destroy();
  sim.destroy();
  return { scene, s };
}

test('a coarse cloth thrown onto another, its vertices over the middles of the lower one\'s faces, stays on top (and goes through with vertex-vertex contact alone)', async () => {
  const on = await run(true), off = await run(false);
  const hOn = heightsOverLower(on.scene, on.s), hOff = heightsOverLower(off.scene, off.s);
  const min = (a: number[]) => Math.min(...a);
  console.log(`stacked cloths after ${STEPS} steps: upper vertices over the lower cloth, min height ${min(hOn).toExponential(3)} with vertex-triangle contact, ${min(hOff).toExponential(3)} without (thickness ${H}); ${hOn.length} of ${(NT + 1) ** 2} over it`);
  expect(hOn.length).toBe((NT + 1) ** 2);
  expect(min(hOn)).toBeGreaterThan(0.5 * H);
  expect(min(hOff)).toBeLessThan(0);
});
