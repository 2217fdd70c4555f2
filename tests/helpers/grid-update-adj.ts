// Runs the grid update's adjoint (grid_update.adj.wgsl) of one step alone, on node masses,
// momenta and upstream gradients a test chooses, and returns what it wrote.
import { SIM_PARAMS } from '../../src/mpm/records';
import type { GpuContext } from '../../src/gpu/device';
import { readF32, readU32, writeBuffer } from '../../src/gpu/buffers';
import { adjointScale, encode } from '../../src/mpm/fixed-point';
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
 * as the forward encodes it, momentum and dL/dv one word each, at the scales of the step's momentum
 * bound (p2g_bound) and gradient bound (adj_max). This gives it such sums, the bounds being the
 * largest sums themselves, and marks every node tile as reached (no p2g ran; tiles.wgsl).
 */
export async function runGridUpdateAdj(gpu: GpuContext, sim: MpmSim, model: RefModel, m: ArrayLike<number>,
  mv: ArrayLike<number>, g: ArrayLike<number>, step: number): Promise<GridUpdateAdjRun> {
  const { dim, nodes } = model;
  const P = new Float32Array(sim.packed.params);
  const W = SIM_PARAMS.word;
  const [fpM, invFpM, massBound, invMinMass] = [P[W.fp_m], P[W.inv_fp_m], P[W.m_bound], P[W.inv_min_mass]];
  const gmax = Math.fround(Math.max(...Array.from(g, Math.abs)));
  const mvmax = Math.fround(Math.max(...Array.from(mv, Math.abs)));
  const sp = adjointScale(mvmax, massBound, invMinMass), sg = adjointScale(gmax, massBound, invMinMass);
  const stride = 2 * dim + 1; // [mv (dim), m, dL/dv (dim)]
  const gridAcc = new Int32Array(nodes * stride);
  const m32 = new Float64Array(nodes), mv32 = new Float64Array(nodes * dim), gv = new Float64Array(nodes * dim);
  for (let i = 0; i < nodes; i++) {
    gridAcc[i * stride + dim] = encode(m[i], fpM);
    m32[i] = Math.fround(Math.fround(gridAcc[i * stride + dim]) * invFpM);
    for (let d = 0; d < dim; d++) {
      const k = i * dim + d;
      const q = encode(mv[k], sp);
      gridAcc[i * stride + d] = q;
      mv32[k] = Math.fround(Math.fround(q) * (1 / sp));
      gridAcc[i * stride + dim + 1 + d] = encode(g[k], sg);
      // a node without mass had v = 0 in g2p: nothing flows back through it
      if (m32[i] > 0) gv[k] = gridAcc[i * stride + dim + 1 + d] / sg;
    }
  }
  writeBuffer(gpu.device, sim.tileStamp, new Uint32Array(sim.tileStamp.size / 4).fill(step + 1));
  writeBuffer(gpu.device, sim.gridAcc, gridAcc);
  writeBuffer(gpu.device, sim.p2gBound, new Float32Array([mvmax]), (step + 1) * 4); // p2g_bound_rec(0, step), batch 1
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
