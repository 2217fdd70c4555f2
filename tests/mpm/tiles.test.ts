// The grid kernels skip node tiles no particle reaches (src/shaders/mpm/tiles.wgsl). Particles
// placed so that their stencils cross tile boundaries in x, y and z, into tiles no other particle
// stamps; the grid
// must be the one a full update (every tile active) gives, to the bit, at every node a particle
// reaches, step after step as the particles move.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32, writeBuffer } from '../../src/gpu/buffers';
import { MpmSim, NODE_FLOATS } from '../../src/mpm/simulator';
import { packMpm } from '../../src/mpm/layout';
import { mulberry32 } from '../../src/core/rng';
import { tinyScene } from '../helpers/tiny-scenes';
import type { MpmScene } from '../../src/mpm/scene';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

/**
 * Particles with stencil bases on a lattice (each axis: `bases`, in cells) that puts them 1 or 2
 * nodes before a tile boundary, so their stencils reach into tiles nothing else stamps; plus a few
 * at random.
 */
function scattered(dim: 2 | 3, bases: number[], seed: number): MpmScene {
  const res = dim === 2 ? 40 : 24;
  const scene = tinyScene({ dim, material: 'elastic', res, seed });
  const dx = scene.grid.dx;
  const rand = mulberry32(seed);
  const x: number[] = [];
  const lattice = bases.length ** dim;
  for (let k = 0; k < lattice; k++) {
    for (let i = 0, r = k; i < dim; i++, r = Math.floor(r / bases.length)) x.push((bases[r % bases.length] + 0.5 + 0.3) * dx);
  }
  for (let k = 0; k < 6 * dim; k++) x.push((2 + (res - 5) * rand()) * dx);
  const n = x.length / dim;
  const p = scene.particles;
  scene.particles = { x, v: p.v.slice(0, n * dim), group: p.group.slice(0, n), vol: p.vol.slice(0, n) };
  return scene;
}

for (const dim of [2, 3] as const) {
  test(`${dim}D: grid_update over the tiles particles reach equals the full update`, async () => {
    const [a, b] = dim === 2 ? [scattered(dim, [7, 22, 31], 3), scattered(dim, [6, 14, 30], 4)] : [scattered(dim, [7, 15, 21], 3), scattered(dim, [6, 14, 20], 4)];
    const grids: Float32Array[][] = [];
    for (const allActive of [false, true]) {
      const sim = await MpmSim.create(gpu, a);
      const out: Float32Array[] = [];
      for (const [k, scene] of [a, b].entries()) {
        const step = 5 + k;
        const s = sim.createState('s', packMpm(scene).state0);
        if (allActive) writeBuffer(gpu.device, sim.tileStamp, new Uint32Array(sim.tileStamp.size / 4).fill(step + 1));
        const enc = gpu.device.createCommandEncoder();
        const pass = enc.beginComputePass();
        sim.encodeP2G(pass, s, step);
        sim.encodeGridUpdate(pass, step);
        pass.end();
        gpu.device.queue.submit([enc.finish()]);
        out.push(await readF32(gpu.device, sim.gridV));
        s.destroy();
      }
      grids.push(out);
      sim.destroy();
    }
    const [[tiled0, tiled1], [full0, full1]] = grids;
    // first step, fresh buffers: skipped tiles hold zeros, as the full update writes there
    expect(Buffer.from(tiled0.buffer).equals(Buffer.from(full0.buffer))).toBe(true);
    // next step, particles elsewhere: every node with mass is the full update's, to the bit
    let reached = 0;
    for (let i = 0; i < full1.length; i += NODE_FLOATS) {
      if (!(full1[i + 3] > 0)) continue;
      reached++;
      for (let c = 0; c < NODE_FLOATS; c++) expect(tiled1[i + c]).toBe(full1[i + c]);
    }
    const nodes = full1.length / NODE_FLOATS;
    console.log(`${dim}D: ${reached} of ${nodes} nodes reached`);
    expect(reached).toBeGreaterThan(0.02 * nodes);
  });
}
