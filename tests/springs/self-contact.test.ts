// The self-contact search (forces.wgsl `neighbours`: cells 2.25 thicknesses wide, 2^dim of them per
// vertex) finds every pair closer than the thickness: a cloud of free vertices, many pairs straddling
// a cell face, one step on the GPU against the float64 reference's all-pairs sum.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32, readU32 } from '../../src/gpu/buffers';
import { Rollout } from '../../src/core/rollout';
import { SpringSim } from '../../src/springs/simulator';
import { compileSpringScene } from '../../src/springs/model';
import { rolloutRef } from '../../src/springs/reference';
import { SC_CELL, gridStride, hashSize } from '../../src/springs/layout';
import type { SpringScene } from '../../src/springs/scene';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

/** n vertices spread uniformly over a cube (square) of side `side` at 0.3, no elements, thickness h. */
function cloud(dim: 2 | 3, n: number, side: number, h: number): SpringScene {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const x: number[] = [];
  for (let i = 0; i < n * dim; i++) x.push(0.3 + side * rand());
  return {
    kind: 'springs', name: `cloud-${dim}d`, dim, dt: 1e-3, steps: 1, gravity: new Array(dim).fill(0), extent: new Array(dim).fill(1),
    materials: [{ name: 'none', stiffness: 1, damping: 0 }],
    vertices: { x, v: new Array(n * dim).fill(0), mass: new Array(n).fill(1e-3) },
    selfContact: { thickness: h, stiffness: 100 },
  };
}

for (const [dim, n, side] of [[3, 200, 0.12], [2, 150, 0.2]] as const) {
  test(`${dim}D: every pair closer than the thickness is found, across cell faces too (one step against the all-pairs reference)`, async () => {
    const h = 0.02, scene = cloud(dim, n, side, h);
    const x = scene.vertices.x, cell = SC_CELL * h;
    let pairs = 0, straddling = 0;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        let r2 = 0, same = true;
        for (let a = 0; a < dim; a++) {
          r2 += (x[i * dim + a] - x[j * dim + a]) ** 2;
          same &&= Math.floor(x[i * dim + a] / cell) === Math.floor(x[j * dim + a] / cell);
        }
        if (r2 < h * h) { pairs++; if (!same) straddling++; }
      }
    }
    // the cloud exercises the search: many pairs, most of them in different cells
    expect(pairs).toBeGreaterThan(n / 2);
    expect(straddling).toBeGreaterThan(pairs / 3);
    const sim = await SpringSim.create(gpu, scene);
    const r = new Rollout(sim, 1, 'full');
    expect((await r.forward()).badStep).toBeNull();
    expect((await sim.readStatus()).contactSkipped).toBe(0);
    const out = await readF32(gpu.device, r.final.buf);
    r.destroy();
    sim.destroy();
    const m = compileSpringScene(scene);
    const ref = rolloutRef(m, m.state0, m.ctrl0, 1);
    // velocities: a pair left out would be off by dt kc (h - r) / m, up to 2 here
    let maxErr = 0, scale = 0;
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < dim; a++) {
        const k = i * 2 * dim + dim + a;
        maxErr = Math.max(maxErr, Math.abs(ref[k] - out[k]));
        scale = Math.max(scale, Math.abs(ref[k]));
      }
    }
    expect(scale).toBeGreaterThan(0.1);
    expect(maxErr).toBeLessThan(1e-4 * scale);
  });
}

test('blown-up vertices stay out of the contact grid, so a failed rollout reports its step without a quadratic search', async () => {
  // NaN, infinite and runaway positions would all fall into one cell, and every later step's bucket
  // sort and search would visit them all against each other.
  const n = 120, scene = cloud(3, n, 0.12, 0.02);
  const sim = await SpringSim.create(gpu, scene);
  const x0 = Float32Array.from(sim.state0 as Float32Array);
  const bad = new Set<number>();
  for (let i = 0; i < n; i += 3) {
    bad.add(i);
    x0[i * 6 + (i % 3)] = [Number.NaN, Number.POSITIVE_INFINITY, 3e7][(i / 3) % 3];
  }
  const r = new Rollout(sim, 1, 'full');
  // as a GPU buffer: forward refuses a non-finite Float32Array before it reaches the GPU
  const x0Buf = sim.createState('x0', x0);
  await expect(r.forward(x0Buf)).rejects.toThrow(/step 0/);
  x0Buf.destroy();
  const words = await readU32(gpu.device, (sim as unknown as { grid: GPUBuffer }).grid, 0, gridStride(n));
  const hs = hashSize(n);
  // the bucket starts end at the number of vertices gridded: the finite ones, each listed once
  expect(words[2 * hs]).toBe(n - bad.size);
  const listed = Array.from(words.subarray(2 * hs + 1, 2 * hs + 1 + n - bad.size)).sort((a, b) => a - b);
  expect(listed).toEqual([...Array(n).keys()].filter((i) => !bad.has(i)));
  r.destroy();
  sim.destroy();
});
