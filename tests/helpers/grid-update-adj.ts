// Runs the grid update's adjoint (grid_update.adj.wgsl) of one step alone, on node masses,
// momenta and upstream gradients a test chooses, and returns what it wrote.
import { SIM_PARAMS, accStride, accWords } from '../../src/mpm/records';
import type { GpuContext } from '../../src/gpu/device';
import { readF32, readU32, writeBuffer } from '../../src/gpu/buffers';
import { adjointScale, encode, splitDecode, splitEncode } from '../../src/mpm/fixed-point';
import type { MpmSim } from '../../src/mpm/simulator';
import type { RefModel } from '../../src/mpm/reference/ref-model';
import { adjNodeParts } from './node-records';

export interface GridUpdateAdjRun {
  /** The masses and momenta as the GPU decodes them from grid_acc: what the reference should take. */
  m: Float64Array;
  mv: Float64Array;
  /** dL/dv (after contacts) as the GPU decodes it, zero on nodes without mass. */
  gv: Float64Array;
  /** adj_node's gradient records (dL/dmv, dL/dm) and recomputed update records (v, m). */
  gGrid: Float64Array;
  vRecompute: Float32Array;
  /** The control gradient after ctrl_grad.wgsl summed the per-node collider gradients. */
  gCtrl: Float32Array;
  /** The per-node collider gradients: [collider][component (colliderGradSlots)][node]. */
  gColNode: Float32Array;
  /** grid_acc after the kernel (the forward leaves it zero, and so must the adjoint). */
  gridAccAfter: Uint32Array;
}

/**
 * The adjoint recomputes the update from the sums p2g's replay leaves in grid_acc (p2g.wgsl): mass
 * and momentum as the forward encodes them (momentum in two words), and dL/dv two words each, after
 * every node's, at the scale of the step's gradient bound (adj_max). This gives it such sums, the
 * bound being the largest sum itself, and marks every node tile as reached (no p2g ran; tiles.wgsl).
 */
export async function runGridUpdateAdj(gpu: GpuContext, sim: MpmSim, model: RefModel, m: ArrayLike<number>,
  mv: ArrayLike<number>, g: ArrayLike<number>, step: number): Promise<GridUpdateAdjRun> {
  const { dim, nodes } = model;
  const P = new Float32Array(sim.packed.params);
  const W = SIM_PARAMS.word;
  const [fpM, invFpM, fpP, invFpP, massBound, invMinMass] = [P[W.fp_m], P[W.inv_fp_m], P[W.fp_p], P[W.inv_fp_p], P[W.m_bound], P[W.inv_min_mass]];
  const gmax = Math.fround(Math.max(...Array.from(g, Math.abs)));
  const sg = adjointScale(gmax, massBound, invMinMass);
  const stride = accStride(dim); // [mv_hi (dim), m, mv_lo (dim)], then dL/dv ([hi (dim), lo (dim)]) per node after all nodes
  const gridAcc = new Int32Array(nodes * accWords(dim));
  const m32 = new Float64Array(nodes), mv32 = new Float64Array(nodes * dim), gv = new Float64Array(nodes * dim);
  for (let i = 0; i < nodes; i++) {
    gridAcc[i * stride + dim] = encode(m[i], fpM);
    m32[i] = Math.fround(Math.fround(gridAcc[i * stride + dim]) * invFpM);
    for (let d = 0; d < dim; d++) {
      const k = i * dim + d;
      const [hi, lo] = splitEncode(mv[k], fpP);
      gridAcc[i * stride + d] = hi;
      gridAcc[i * stride + dim + 1 + d] = lo;
      mv32[k] = splitDecode(hi, lo, invFpP);
      const [ghi, glo] = splitEncode(g[k], sg);
      gridAcc[nodes * stride + i * 2 * dim + d] = ghi;
      gridAcc[nodes * stride + i * 2 * dim + dim + d] = glo;
      // a node without mass had v = 0 in g2p: nothing flows back through it
      if (m32[i] > 0) gv[k] = splitDecode(ghi, glo, 1 / sg);
    }
  }
  writeBuffer(gpu.device, sim.tileStamp, new Uint32Array(sim.tileStamp.size / 4).fill(step + 1));
  writeBuffer(gpu.device, sim.gridAcc, gridAcc);
  const enc = gpu.device.createCommandEncoder();
  enc.clearBuffer(sim.adjoint.gCtrl);
  gpu.device.queue.submit([enc.finish()]);
  writeBuffer(gpu.device, sim.adjoint.adjMax, new Float32Array([gmax]), (step & 1) * 4); // adj_slot(0, step)
  const enc2 = gpu.device.createCommandEncoder();
  const pass = enc2.beginComputePass();
  sim.encodeGridUpdateAdj(pass, step);
  sim.encodeCtrlGrads(pass, step);
  pass.end();
  gpu.device.queue.submit([enc2.finish()]);
  const { g: gGrid, v: vRecompute } = adjNodeParts(model, await readF32(gpu.device, sim.adjoint.adjNode));
  return {
    m: m32, mv: mv32, gv, gGrid, vRecompute,
    gCtrl: await readF32(gpu.device, sim.adjoint.gCtrl),
    gColNode: await readF32(gpu.device, sim.adjoint.gColNode),
    gridAccAfter: await readU32(gpu.device, sim.gridAcc),
  };
}
