// A step adjoint replays p2g (src/shaders/mpm/p2g.wgsl, replay) with momentum in one fixed-point
// word, at a scale from the bound the forward p2g records for the step, where the forward keeps
// two words. The grid its adjoint linearises at must be the forward's to within that word's
// resolution, at every node with mass, in scenes where the bound is set by stress (a stiff body at
// rest under gravity: per-particle terms far above the net node momentum), by motion, and for a
// fluid; and the replay must leave the accumulator zero, as the forward does.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32, readU32 } from '../../src/gpu/buffers';
import { MpmSim, NODE_FLOATS } from '../../src/mpm/simulator';
import { particleStride } from '../../src/mpm/layout';
import { SIM_PARAMS } from '../../src/mpm/records';
import { adjointScale } from '../../src/mpm/fixed-point';
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
  test(`${name}: the replayed grid is the forward's within the one-word resolution`, async () => {
    const scene = tinyScene(opts);
    const sim = await MpmSim.create(gpu, scene);
    const dim = sim.dim;
    sim.ensureSteps(STEPS + 1);
    const s = [sim.createState('a', sim.packed.state0), sim.createState('b'), sim.createState('g')];
    const enc = gpu.device.createCommandEncoder();
    sim.clearAdjoint(enc);
    const pass = enc.beginComputePass();
    for (let k = 0; k < STEPS; k++) sim.encodeStep(pass, s[k % 2], s[(k + 1) % 2], k);
    // step STEPS forward (records its bound, writes grid_v), then its replay and the grid update's
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
    const x = await readF32(gpu.device, sIn);
    const bound = new Float32Array((await readU32(gpu.device, sim.p2gBound, STEPS + 1, 1)).buffer)[0];
    expect((await readU32(gpu.device, sim.gridAcc)).every((w) => w === 0)).toBe(true);

    // Per node: how many particles' stencils reach it (each run adds one rounding of at most half a
    // unit, and a run has at least one particle), from the positions.
    const P = new Float32Array(sim.packed.params);
    const W = SIM_PARAMS.word;
    const [invDx, invFpP, massBound, invMinMass] = [P[W.inv_dx], P[W.inv_fp_p], P[W.m_bound], P[W.inv_min_mass]];
    const res = sim.packed.res;
    const reach = new Uint32Array(sim.packed.nodes);
    const ps = particleStride(dim);
    for (let p = 0; p < sim.packed.n; p++) {
      const base = Array.from({ length: dim }, (_, d) => Math.floor(x[p * ps + d] * invDx - 0.5));
      for (let k = 0; k < 3 ** dim; k++) {
        let idx = 0, stride = 1;
        for (let d = 0, r = k; d < dim; d++, r = Math.floor(r / 3)) { idx += (base[d] + (r % 3)) * stride; stride *= res[d]; }
        reach[idx]++;
      }
    }
    const unit = 1 / adjointScale(bound, massBound, invMinMass);
    let worst = 0, vMax = 0, checked = 0;
    for (let i = 0; i < sim.packed.nodes; i++) {
      const m = gridV[i * NODE_FLOATS + 3];
      if (!(m > 0)) continue;
      checked++;
      expect(replayed[i * NODE_FLOATS + 3], 'replayed node mass').toBe(m);
      for (let d = 0; d < dim; d++) {
        const vf = gridV[i * NODE_FLOATS + d], va = replayed[i * NODE_FLOATS + d];
        vMax = Math.max(vMax, Math.abs(vf));
        // both momentum roundings (replay: half a unit per run; forward: half of 2^-16 / fp_p),
        // over the mass, then float32 rounding of the velocity and the contact projection
        const allowed = (reach[i] * 0.5 * (unit + invFpP / 65536)) / m + 4e-7 * (Math.abs(vf) + 1e-3);
        const err = Math.abs(va - vf);
        worst = Math.max(worst, err / allowed);
        expect(err, `node ${i} component ${d}: replayed ${va}, forward ${vf}`).toBeLessThanOrEqual(allowed);
      }
    }
    console.log(`${name}: ${checked} nodes, bound ${bound.toExponential(3)}, largest |v| ${vMax.toExponential(2)}, worst error ${(100 * worst).toFixed(1)}% of the allowed`);
    expect(checked).toBeGreaterThan(20);
    for (const b of s) b.destroy();
    sim.destroy();
  });
}
