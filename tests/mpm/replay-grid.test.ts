// A step adjoint replays p2g (src/shaders/mpm/p2g.wgsl, replay) in the forward's words and scales,
// so the grid its adjoint linearises at must be the forward's bit for bit, at every node with
// mass, light ones included, in scenes where stress dominates the momentum terms (a stiff body at
// rest under gravity), by motion, and for a fluid; and the replay must leave the accumulator zero,
// as the forward does.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32, readU32 } from '../../src/gpu/buffers';
import { MpmSim, NODE_FLOATS } from '../../src/mpm/simulator';
import { SIM_PARAMS } from '../../src/mpm/records';
import { tinyScene, type TinyOptions } from '../helpers/tiny-scenes';
import { adjNodeParts } from '../helpers/node-records';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

const STEPS = 8;

const cases: [string, TinyOptions][] = [
  ['2D stiff elastic at rest', { dim: 2, material: 'elastic', velocity: [0, 0], E: 400, lo: [0.3, 0.15], hi: [0.5, 0.6], seed: 5 }],
  ['2D elastoplastic thrown', { dim: 2, material: 'elastoplastic', velocity: [1.5, -0.5], seed: 6 }],
  ['3D fluid', { dim: 3, material: 'fluid', seed: 7 }],
  ['3D elastic at rest', { dim: 3, material: 'elastic', velocity: [0, 0, 0], E: 500, seed: 8 }],
];

for (const [name, opts] of cases) {
  test(`${name}: the replayed grid is the forward's, bit for bit`, async () => {
    const scene = tinyScene(opts);
    const sim = await MpmSim.create(gpu, scene);
    const dim = sim.dim;
    sim.ensureSteps(STEPS + 1);
    const s = [sim.createState('a', sim.packed.state0), sim.createState('b'), sim.createState('g')];
    const enc = gpu.device.createCommandEncoder();
    sim.clearAdjoint(enc);
    const pass = enc.beginComputePass();
    for (let k = 0; k < STEPS; k++) sim.encodeStep(pass, s[k % 2], s[(k + 1) % 2], k);
    // step STEPS forward (writes grid_v), then its replay and the grid update's
    // adjoint, which writes the recomputed velocities next to the gradients (adj_node)
    const sIn = s[STEPS % 2], sOut = s[(STEPS + 1) % 2];
    sim.encodeStep(pass, sIn, sOut, STEPS);
    sim.encodeG2PAdjLocal(pass, sIn, sOut, s[2], STEPS);
    sim.encodeP2GReplay(pass, sIn, STEPS);
    sim.encodeGridUpdateAdj(pass, STEPS);
    pass.end();
    gpu.device.queue.submit([enc.finish()]);
    const gridV = await readF32(gpu.device, sim.gridV);
    const replayed = adjNodeParts({ dim, dt: scene.dt, gravity: scene.gravity }, await readF32(gpu.device, sim.adjoint.adjNode)).v;
    const massBound = new Float32Array(sim.packed.params)[SIM_PARAMS.word.m_bound];
    expect((await readU32(gpu.device, sim.gridAcc)).every((w) => w === 0)).toBe(true);
    let checked = 0, light = 0;
    for (let i = 0; i < sim.packed.nodes; i++) {
      const m = gridV[i * NODE_FLOATS + 3];
      if (!(m > 0)) continue;
      checked++;
      if (m < 1e-3 * massBound) light++;
      for (let c = 0; c < NODE_FLOATS; c++) {
        expect(replayed[i * NODE_FLOATS + c], `node ${i} record word ${c}`).toBe(gridV[i * NODE_FLOATS + c]);
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(light, 'nodes under a thousandth of the mass bound (a body\'s edge)').toBeGreaterThan(0);
    for (const b of s) b.destroy();
    sim.destroy();
  });
}
