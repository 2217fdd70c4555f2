// Each adjoint kernel against central finite differences of the float64 reference of its stage,
// on random upstream gradients, in value and sign: p2g_adj, grid_update_adj, g2p_adj.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { MpmSim } from '../../src/mpm/simulator';
import { orientComps, particleStride, spinComps, TRACK_SLOT, TRACK_STRIDE } from '../../src/mpm/layout';
import { SIM_PARAMS, accStride } from '../../src/mpm/records';
import { readF32, readU32, writeBuffer } from '../../src/gpu/buffers';
import { adjointScale, splitDecode } from '../../src/mpm/fixed-point';
import { ctrlTrackIndex, refModel, withCtrl, type RefModel } from '../../src/mpm/reference/ref-model';
import { g2p, gridUpdate, p2g, rollout } from '../../src/mpm/reference/step';
import { rng } from '../../src/core/finite-diff';
import type { MaterialKind } from '../../src/mpm/scene';
import { tinyScene } from '../helpers/tiny-scenes';
import { adjNodeRecords, nodeAt, nodeRecords } from '../helpers/node-records';
import { runGridUpdateAdj } from '../helpers/grid-update-adj';

const W = SIM_PARAMS.word;

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

const TOL = 2e-3;
const SUM_TOL = 1e-5;
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };

function gaussVec(n: number, rand: () => number, pick: (i: number) => boolean = () => true): Float64Array {
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) if (pick(i)) d[i] = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  return d;
}

/**
 * Relative error within TOL (and the same sign). `scale`, when given, is the sum of the magnitudes
 * of the terms a reduction added up: a sum that cancels to a small value is then judged against the
 * float32 rounding of its terms (SUM_TOL of that scale), not against itself.
 */
function expectClose(what: string, analytic: number, numeric: number, scale = 0) {
  const rel = Math.abs(analytic - numeric) / Math.max(Math.abs(analytic), Math.abs(numeric), 1e-9);
  if (scale > 0 && Math.abs(analytic - numeric) <= SUM_TOL * scale) {
    console.log(`${what}: analytic ${analytic.toExponential(6)} numeric ${numeric.toExponential(6)} within ${SUM_TOL} of the summed magnitudes ${scale.toExponential(2)}`);
    return;
  }
  console.log(`${what}: analytic ${analytic.toExponential(6)} numeric ${numeric.toExponential(6)} rel ${rel.toExponential(2)}`);
  if (Math.abs(numeric) > 1e-7) expect(Math.sign(analytic), `${what} sign`).toBe(Math.sign(numeric));
  expect(rel, what).toBeLessThan(TOL);
}

async function setup(dim: 2 | 3, material: MaterialKind, seed: number, collider = true) {
  const scene = tinyScene({ dim, material, seed, actuated: material !== 'fluid', collider });
  const sim = await MpmSim.create(gpu, scene);
  const model = refModel(sim.packed);
  // a state with non-trivial C and F: a few reference steps from the scene's initial state
  const s = Float32Array.from(rollout(model, Float64Array.from(sim.packed.state0), 6)[6]);
  return { sim, model, s, s64: Float64Array.from(s), ps: particleStride(dim) };
}

function run(sim: MpmSim, f: (pass: GPUComputePassEncoder) => void) {
  const enc = gpu.device.createCommandEncoder();
  sim.clearAdjoint(enc);
  const pass = enc.beginComputePass();
  f(pass);
  pass.end();
  gpu.device.queue.submit([enc.finish()]);
}

const STEP = 6;
for (const dim of [2, 3] as const) {
  // three seeds per material: different states, upstream gradients and directions
  for (const [material, seed] of ([['fluid', 11], ['elastic', 12], ['elastoplastic', 13]] as const)
    .flatMap(([m, s]) => [[m, s], [m, s + 20], [m, s + 40]] as const)) {
    // the third seed without the collider: there a stencil clear of the walls has no contact
    // (p2g's adjoint then reads only dL/dmv and v of each node, see adj_pack in dim2.wgsl)
    const collider = seed < 50;
    test(`p2g adjoint, ${dim}D ${material}, seed ${seed}${collider ? '' : ', no collider'}`, async () => {
      const { sim, model, s, s64, ps } = await setup(dim, material, seed, collider);
      const rand = rng(seed);
      const nodes = model.nodes;
      // Upstream node gradients as a grid update's adjoint leaves them: any dL/dmv, and dL/dm free
      // only where a contact can change the velocity; elsewhere dL/dm = -dL/dmv . (v - dt g).
      const touched = (i: number) => model.nColliders > 0 || model.res.some((r, d) => {
        const c = Math.floor(i / model.res.slice(0, d).reduce((a, b) => a * b, 1)) % r;
        return c < model.bound || c >= r - model.bound;
      });
      const gmv = gaussVec(nodes * dim, rand), v = gaussVec(nodes * dim, rand), dgm = gaussVec(nodes, rand, touched);
      const vRec = nodeRecords(nodes, dim, v, dim);
      const gm = (i: number) => { let a = dgm[i]; for (let d = 0; d < dim; d++) a -= Math.fround(gmv[i * dim + d]) * (nodeAt(vRec, i, d) - model.dt * model.gravity[d]); return a; };
      const gGrid = nodeRecords(nodes, dim, gmv, dim, gm);
      const g64 = Float64Array.from(gGrid);
      if (!collider) {
        // some particle's whole stencil is clear of the walls
        const free = (p: number) => Array.from({ length: dim }, (_, d) => Math.floor(s[p * ps + d] * model.invDx - 0.5))
          .every((b, d) => b >= model.bound && b + 2 < model.res[d] - model.bound);
        expect(Array.from({ length: model.n }, (_, p) => free(p)).some((f) => f)).toBe(true);
      }
      const L = (m: RefModel, st: Float64Array) => {
        const g = p2g(m, st, STEP);
        let a = 0;
        for (let i = 0; i < nodes; i++) { for (let d = 0; d < dim; d++) a += nodeAt(g64, i, d) * g.mv[i * dim + d]; a += nodeAt(g64, i, 3) * g.m[i]; }
        return a;
      };
      // the grid velocities in adj_node otherwise only meet g2p's terms in g_local, zero here
      writeBuffer(gpu.device, sim.adjoint.adjNode, adjNodeRecords(model, gGrid, vRec));
      // p2g's adjoint also adds what g2p's adjoint left in g_local: nothing, for this stage alone
      writeBuffer(gpu.device, sim.adjoint.gLocal, new Float32Array(sim.adjoint.gLocal.size / 4));
      const sIn = sim.createState('in', s), gIn = sim.createState('gin');
      run(sim, (pass) => sim.encodeP2GAdj(pass, sIn, gIn, STEP));
      const gs = await readF32(gpu.device, gIn);
      const gp = await readF32(gpu.device, sim.adjoint.gParticle);
      const fields: [string, number, number, number][] = [['x', 0, dim, 1e-4 * model.dx], ['v', dim, dim, 1e-4], ['C', 2 * dim, dim * dim, 1e-3], ['F', 2 * dim + dim * dim, dim * dim, 1e-5]];
      for (const [name, lo, len, eps] of fields) {
        const dir = gaussVec(s64.length, rand, (i) => i % ps >= lo && i % ps < lo + len);
        const num = (L(model, s64.map((x, i) => x + eps * dir[i])) - L(model, s64.map((x, i) => x - eps * dir[i]))) / (2 * eps);
        expectClose(`p2g ${dim}D ${material} d/d${name}`, dot(gs, dir), num);
      }
      const n = model.n;
      for (const [name, field, acc] of [['E', 0, 0], ['nu', 1, 1]] as const) {
        const range = sim.packed.groupRanges[0];
        let an = 0, mag = 0;
        for (let p = range[0]; p < range[0] + range[1]; p++) { an += gp[acc * n + p]; mag += Math.abs(gp[acc * n + p]); }
        const base = model.ctrl[field];
        const eps = 1e-5 * base;
        const at = (sg: number) => { const c = model.ctrl.slice(); c[field] = base + sg * eps; return L(withCtrl(model, c), s64); };
        expectClose(`p2g ${dim}D ${material} d/d${name}`, an, (at(1) - at(-1)) / (2 * eps), mag);
      }
      sIn.destroy(); gIn.destroy(); sim.destroy();
    });

    test(`g2p adjoint, ${dim}D ${material}, seed ${seed}`, async () => {
      const { sim, model, s, s64, ps } = await setup(dim, material, seed + 100);
      const rand = rng(seed + 100);
      const grid = gridUpdate(model, p2g(model, s64, STEP), STEP);
      const gv32 = Float32Array.from(grid.v);
      const gv64 = Float64Array.from(gv32);
      const gvRec = nodeRecords(model.nodes, dim, gv32, dim);
      writeBuffer(gpu.device, sim.gridV, gvRec);
      const gOut32 = Float32Array.from(gaussVec(s64.length, rand));
      const gOut = Float64Array.from(gOut32);
      const L = (st: Float64Array, v: Float64Array) => dot(gOut, g2p(model, st, { v }, STEP));
      const sIn = sim.createState('in', s), gOutBuf = sim.createState('gout', gOut32), sOut = sim.createState('out');
      // The adjoint reads v' and C' from the state g2p wrote: run g2p on the same grid first.
      // Its gradient in x through the stencil weights is gathered by p2g's adjoint, which adds
      // nothing else when the grid gradient is zero: dL/d state_in is then g2p's adjoint alone.
      // p2g's adjoint reads the grid velocities from adj_node, next to a (here zero) grid gradient.
      writeBuffer(gpu.device, sim.adjoint.adjNode, adjNodeRecords(model, new Float32Array(gvRec.length), gvRec));
      const gInBuf = sim.createState('gin');
      // The scatter runs in p2g's replay of the step: first the forward p2g and grid update
      // of this step, as in a rollout, then g2p on the reference grid.
      run(sim, (pass) => { sim.encodeP2G(pass, sIn, STEP); sim.encodeGridUpdate(pass, STEP); });
      writeBuffer(gpu.device, sim.gridV, gvRec);
      run(sim, (pass) => { sim.encodeG2P(pass, sIn, sOut, STEP); sim.encodeG2PAdjLocal(pass, sIn, sOut, gOutBuf, STEP); sim.encodeP2GReplay(pass, sIn, STEP); });
      // the replay leaves dL/dv_i in the accumulator's region after every node's ACC_STRIDE words (acc_grad_word)
      const gridAcc = new Int32Array((await readF32(gpu.device, sim.gridAcc)).buffer);
      const maxBits = (await readU32(gpu.device, sim.adjoint.adjMax))[STEP & 1]; // copy 0's word for this step (adj_slot); p2g's adjoint resets it
      run(sim, (pass) => sim.encodeP2GAdj(pass, sIn, gInBuf, STEP));
      const gIn = await readF32(gpu.device, gInBuf);
      const maxC = new Float32Array(new Uint32Array([maxBits]).buffer)[0];
      const P = new Float32Array(sim.packed.params);
      const scale = adjointScale(maxC, P[W.m_bound], P[W.inv_min_mass]);
      for (const [name, lo, len, eps] of [['x', 0, dim, 1e-4 * model.dx], ['F', 2 * dim + dim * dim, dim * dim, 1e-8]] as const) {
        // F: a tiny step, since plastic particles sit within ~1e-5 of a yield kink after a clamp
        const dir = gaussVec(s64.length, rand, (i) => i % ps >= lo && i % ps < lo + len);
        const an = dot(gIn, dir);
        const num = (L(s64.map((x, i) => x + eps * dir[i]), gv64) - L(s64.map((x, i) => x - eps * dir[i]), gv64)) / (2 * eps);
        expectClose(`g2p ${dim}D ${material} d/d${name}`, an, num);
      }
      const dir = gaussVec(gv64.length, rand);
      let an = 0;
      for (let i = 0; i < dir.length; i++) {
        const node = Math.floor(i / dim);
        const w = model.nodes * accStride(dim) + node * 2 * dim + (i % dim); // [hi (dim), lo (dim)] per node
        an += splitDecode(gridAcc[w], gridAcc[w + dim], 1 / scale) * dir[i];
      }
      const eps = 1e-4;
      const num = (L(s64, gv64.map((x, i) => x + eps * dir[i])) - L(s64, gv64.map((x, i) => x - eps * dir[i]))) / (2 * eps);
      expectClose(`g2p ${dim}D ${material} d/dgrid_v`, an, num);
      sIn.destroy(); gOutBuf.destroy(); sOut.destroy(); gInBuf.destroy(); sim.destroy();
    });
  }

  test(`grid_update adjoint with walls, ground friction and a collider, ${dim}D`, async () => {
    const { sim, model, s, s64 } = await setup(dim, 'elastic', 21 + dim);
    const rand = rng(31 + dim);
    const nodes = model.nodes;
    const grid = p2g(model, s64, STEP);
    // Random node velocities (within CFL) on every node with mass, so walls, the ground and the
    // collider all see motion in every direction.
    const m = grid.m.slice();
    const mv = grid.mv.map((_, i) => (m[Math.floor(i / dim)] > 0 ? m[Math.floor(i / dim)] * 2 * (rand() - 0.5) : 0));
    // Put mass on wall and ground nodes too, and on every node around the collider (which the
    // particles need not reach), moving both ways relative to it, so that its gradients have
    // contacts to come from.
    const track = ctrlTrackIndex(model, STEP, 0);
    const c = model.ctrl.subarray(track, track + dim);
    const u = model.ctrl.subarray(track + TRACK_SLOT.velocity, track + TRACK_SLOT.velocity + dim);
    const near = (i: number) => {
      let r2 = 0;
      for (let d = 0, k = i; d < dim; d++) { const x = (k % model.res[d]) * model.dx; k = Math.floor(k / model.res[d]); r2 += (x - c[d]) ** 2; }
      return r2 < 0.15 ** 2;
    };
    const mTypical = 0.1 * Math.max(...m);
    for (let i = 0; i < nodes; i++) {
      if (m[i] > 0 || (i % 7 !== 0 && !near(i))) continue;
      m[i] = mTypical * (1 + rand());
      for (let d = 0; d < dim; d++) mv[i * dim + d] = m[i] * ((near(i) ? u[d] : 0) + 2 * (rand() - 0.5));
    }
    // The adjoint takes the sums p2g's replay leaves in grid_acc (runGridUpdateAdj); the reference
    // takes what the GPU decodes from them.
    const g = gaussVec(nodes * dim, rand);
    const sIn = sim.createState('in', s);
    const run = await runGridUpdateAdj(gpu, sim, model, m, mv, g, STEP);
    const { gGrid, vRecompute, gCtrl, gv: gq } = run;
    const m32 = run.m;
    // the recomputed update (walls, ground, collider) is the reference's of the same sums, and
    // grid_acc is left zero as the forward leaves it
    const m64 = run.m, mv64 = run.mv;
    const vRef = gridUpdate(model, { m: m64, mv: mv64 }, STEP).v;
    let vErr = 0, vMax = 0;
    for (let i = 0; i < nodes; i++) {
      if (!(m32[i] > 0)) continue;
      for (let d = 0; d < dim; d++) { vErr = Math.max(vErr, Math.abs(nodeAt(vRecompute, i, d) - vRef[i * dim + d])); vMax = Math.max(vMax, Math.abs(vRef[i * dim + d])); }
      expect(nodeAt(vRecompute, i, 3)).toBe(m32[i]);
    }
    console.log(`grid_update ${dim}D recomputed velocities: largest error ${vErr.toExponential(2)} of ${vMax.toExponential(2)}`);
    expect(vErr).toBeLessThan(1e-6 * vMax);
    expect(run.gridAccAfter.every((x) => x === 0)).toBe(true);
    const L = (mod: RefModel, mm: Float64Array, mvv: Float64Array) => dot(gq, gridUpdate(mod, { m: mm, mv: mvv }, STEP).v);
    const dmv = gaussVec(mv64.length, rand, (i) => m64[Math.floor(i / dim)] > 0);
    let an = 0;
    for (let i = 0; i < nodes; i++) for (let d = 0; d < dim; d++) an += nodeAt(gGrid, i, d) * dmv[i * dim + d];
    let eps = 1e-9;
    expectClose(`grid_update ${dim}D d/dmv`, an, (L(model, m64, mv64.map((x, i) => x + eps * dmv[i])) - L(model, m64, mv64.map((x, i) => x - eps * dmv[i]))) / (2 * eps));
    const dm = gaussVec(m64.length, rand, (i) => m64[i] > 0).map((x, i) => x * m64[i]);
    an = 0;
    for (let i = 0; i < nodes; i++) an += nodeAt(gGrid, i, 3) * dm[i];
    eps = 1e-6;
    expectClose(`grid_update ${dim}D d/dm`, an, (L(model, m64.map((x, i) => x + eps * dm[i]), mv64) - L(model, m64.map((x, i) => x - eps * dm[i]), mv64)) / (2 * eps));
    const lay = model.ctrlLayout;
    const row = lay.colOff + STEP * TRACK_STRIDE;
    for (const [name, slot, len] of [['position', TRACK_SLOT.position, dim], ['velocity', TRACK_SLOT.velocity, dim],
      ['orientation', TRACK_SLOT.orientation, orientComps(dim)], ['angular velocity', TRACK_SLOT.angularVelocity, spinComps(dim)]] as const) {
      const dir = new Float64Array(model.ctrl.length);
      for (let d = 0; d < len; d++) dir[row + slot + d] = rand() - 0.5;
      const an2 = dot(Array.from(dir, (_, i) => gCtrl[i]), dir);
      eps = 1e-6;
      const at = (sg: number) => L(withCtrl(model, model.ctrl.map((x, i) => x + sg * eps * dir[i])), m64, mv64);
      expectClose(`grid_update ${dim}D d/dcollider ${name}`, an2, (at(1) - at(-1)) / (2 * eps));
    }
    sIn.destroy(); sim.destroy();
  });
}
