// The GPU grid's per-node record (grid_v; adj_node holds two per node): a vec4 with the vector in the first
// DIM floats and the scalar in the fourth (node_rec in src/shaders/common/dim2.wgsl).
import { NODE_FLOATS } from '../../src/sim/mpm-sim';

/** Node records from a per-node vector (stride `vecStride`, dim values used) and an optional scalar. */
export function nodeRecords(nodes: number, dim: number, vec: ArrayLike<number>, vecStride: number, scalar?: (i: number) => number): Float32Array {
  const r = new Float32Array(nodes * NODE_FLOATS);
  for (let i = 0; i < nodes; i++) {
    for (let d = 0; d < dim; d++) r[i * NODE_FLOATS + d] = vec[i * vecStride + d];
    if (scalar) r[i * NODE_FLOATS + 3] = scalar(i);
  }
  return r;
}

/** Component d (0 ... dim - 1: the vector; 3: the scalar) of node i of a record array. */
export const nodeAt = (r: ArrayLike<number>, i: number, d: number): number => r[i * NODE_FLOATS + d];

/** The adjoint's node records (adj_node): per node the gradient record, then the velocity record. */
export function adjNodeRecords(g: Float32Array, v: Float32Array): Float32Array {
  const r = new Float32Array(2 * g.length);
  for (let i = 0; i < g.length / NODE_FLOATS; i++) {
    r.set(g.subarray(i * NODE_FLOATS, (i + 1) * NODE_FLOATS), 2 * i * NODE_FLOATS);
    r.set(v.subarray(i * NODE_FLOATS, (i + 1) * NODE_FLOATS), (2 * i + 1) * NODE_FLOATS);
  }
  return r;
}
