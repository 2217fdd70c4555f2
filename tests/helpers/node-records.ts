// The GPU grid's per-node record (grid_v): a vec4 with the vector in the first DIM floats and the
// scalar in the fourth (node_rec in src/shaders/common/dim2.wgsl); and the step adjoint's pair of
// records per node (adj_node), which packs its floats differently.
import { NODE_FLOATS } from '../../src/mpm/simulator';

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

/** What adj_node's layout needs of a model: dimension, time step, gravity. */
interface AdjLayoutModel { dim: number; dt: number; gravity: ArrayLike<number> }

/**
 * The step adjoint's node records (adj_node; adj_pack in src/shaders/common/dim2.wgsl) from
 * gradient records (dL/dmv, dL/dm as node records) and velocity records (v after contacts, m):
 * per node the floats dL/dmv (dim), v (dim), dgm, m in that order over two vec4s, with
 * dgm = dL/dm + dL/dmv . (v - dt g), zero where no contact changed v.
 */
export function adjNodeRecords(model: AdjLayoutModel, g: Float32Array, v: Float32Array): Float32Array {
  const { dim } = model;
  const r = new Float32Array(2 * g.length);
  for (let i = 0; i < g.length / NODE_FLOATS; i++) {
    const o = 2 * i * NODE_FLOATS;
    let dgm = nodeAt(g, i, 3);
    for (let d = 0; d < dim; d++) dgm += nodeAt(g, i, d) * (nodeAt(v, i, d) - model.dt * model.gravity[d]);
    for (let d = 0; d < dim; d++) {
      r[o + d] = nodeAt(g, i, d);
      r[o + dim + d] = nodeAt(v, i, d);
    }
    r[o + 2 * dim] = dgm;
    r[o + 2 * dim + 1] = nodeAt(v, i, 3);
  }
  return r;
}

/** adjNodeRecords inverted: the gradient records (dL/dmv, dL/dm) and velocity records (v, m). */
export function adjNodeParts(model: AdjLayoutModel, raw: Float32Array): { g: Float64Array; v: Float32Array } {
  const { dim } = model;
  const nodes = raw.length / (2 * NODE_FLOATS);
  const g = new Float64Array(nodes * NODE_FLOATS);
  const v = new Float32Array(nodes * NODE_FLOATS);
  for (let i = 0; i < nodes; i++) {
    const o = 2 * i * NODE_FLOATS;
    v[i * NODE_FLOATS + 3] = raw[o + 2 * dim + 1];
    let gm = raw[o + 2 * dim];
    for (let d = 0; d < dim; d++) {
      g[i * NODE_FLOATS + d] = raw[o + d];
      v[i * NODE_FLOATS + d] = raw[o + dim + d];
      gm -= raw[o + d] * (v[i * NODE_FLOATS + d] - model.dt * model.gravity[d]);
    }
    g[i * NODE_FLOATS + 3] = gm;
  }
  return { g, v };
}
