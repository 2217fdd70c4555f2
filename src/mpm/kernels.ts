// The MPM compute pipelines for one dimension: forward stages and their adjoints (the control
// gradient's sums go through src/gpu/reduce.ts). Bindings follow the WGSL files: 0 params, 1 step (dynamic), 2 model, 3 ctrl,
// 4 order (model.wgsl), then each kernel's own buffers in the order they are declared.
import { composeMpm, type Dim } from '../shaders/compose';
import { mpmShaders } from '../shaders/index';
import { nodeWindowShape } from '../shaders/node-window';
import type { BindingKind, ComputeKernel, PipelineCache } from '../gpu/pipeline-cache';

const HEAD: BindingKind[] = ['uniform', 'uniform-dynamic', 'read', 'read', 'read'];

export interface MpmKernels {
  p2g: ComputeKernel;
  gridUpdate: ComputeKernel;
  g2p: ComputeKernel;
  /** A step adjoint's p2g, fused with g2p adjoint's scatter (p2g.wgsl, replay). */
  p2gReplay: ComputeKernel;
  g2pAdjLocal: ComputeKernel;
  gridUpdateAdj: ComputeKernel;
  p2gAdj: ComputeKernel;
  /** p2g's adjoint of step s fused with g2p's local adjoint of step s - 1 (p2g.adj.wgsl). */
  p2gAdjFused: ComputeKernel;
}

/**
 * subgroupSize: the device's (GpuContext.subgroupSize), or null for kernels that use no subgroup
 * operations; p2g's adjoint shares node loads between lanes where it fits (node-window.ts).
 * sorted: the particle kernels read each particle's model record and write its per-particle
 * gradients through the order binding (model.wgsl, particle_index), for a simulator that re-sorts.
 */
export async function buildMpmKernels(cache: PipelineCache, dim: Dim, subgroupSize: number | null = null, sorted = false): Promise<MpmKernels> {
  // the node window's layout is part of a kernel that uses it, and so of its cache label
  const win = nodeWindowShape(dim, subgroupSize);
  const k = (label: string, body: string, particles: [string, boolean][], own: BindingKind[], entry = 'main', nodeWindow = false) =>
    cache.computeAsync(`mpm${dim}d.${label}${nodeWindow && win ? `.window${win.lanes}` : ''}${sorted ? '.sorted' : ''}`,
      composeMpm(dim, { body: `const SORTED: bool = ${sorted};\n${body}`, particles, nodeWindow }, subgroupSize), [...HEAD, ...own], entry);
  const adjParts: [string, boolean][] = [['state_in', false], ['state_out', false], ['g_state_out', false], ['g_local', true]];
  const g2pAdjOwn: BindingKind[] = ['read', 'read', 'read', 'rw', 'rw'];
  const p2gAdjParts: [string, boolean][] = [['state_in', false], ['g_state_in', true], ['g_local', true], ['state_prev', false]];
  const p2gAdjOwn: BindingKind[] = ['read', 'read', 'rw', 'rw', 'rw', 'rw', 'read'];
  const p2gParts: [string, boolean][] = [['state_in', false], ['g_local', false]];
  const p2gSrc = `${mpmShaders.tiles}\n${mpmShaders.p2g}`;
  // both fill adj_max (adj_bound.wgsl)
  const p2gAdjSrc = `${mpmShaders.adjBound}\n${mpmShaders.p2gAdj}`;
  const [p2g, p2gReplay, gridUpdate, g2p, g2pAdjLocal, gridUpdateAdj, p2gAdj, p2gAdjFused] = await Promise.all([
    k('p2g', p2gSrc, p2gParts, ['read', 'rw', 'rw']),
    k('p2g.replay', p2gSrc, p2gParts, ['read', 'rw', 'rw', 'read', 'read'], 'replay'),
    // both read p2g's accumulator through grid_acc.wgsl (their binding 5), and skip tiles (tiles.wgsl)
    k('grid_update', `${mpmShaders.gridAcc}\n${mpmShaders.tiles}\n${mpmShaders.gridUpdate}`, [], ['rw', 'rw', 'rw', 'rw']),
    k('g2p', mpmShaders.g2p, [['state_in', false], ['state_out', true]], ['read', 'read', 'rw', 'rw']),
    k('g2p_adj.local', `${mpmShaders.adjBound}\n${mpmShaders.g2pAdj}`, adjParts, g2pAdjOwn, 'local'),
    k('grid_update_adj', `${mpmShaders.gridAcc}\n${mpmShaders.tiles}\n${mpmShaders.gridUpdateAdj}`, [], ['rw', 'read', 'rw', 'rw', 'rw']),
    k('p2g_adj', p2gAdjSrc, p2gAdjParts, p2gAdjOwn, 'main', true),
    k('p2g_adj.fused', p2gAdjSrc, p2gAdjParts, p2gAdjOwn, 'fused', true),
  ]);
  return { p2g, p2gReplay, gridUpdate, g2p, g2pAdjLocal, gridUpdateAdj, p2gAdj, p2gAdjFused };
}
