// adj_max: per batch copy and step parity (adj_slot, params.wgsl), the largest bound of the node
// gradients g2p's adjoint scatters, as float bits (a non-negative float's bits order like the
// float), which sets that scatter's fixed-point scale (fixed_point.wgsl). Included by the kernels
// that fill it, g2p_adj.local and p2g's fused adjoint, which declare
// `adj_max: array<atomic<u32>>`.

// Takes a particle's bound into the word for step s of copy b. The max is order-free. A plain load
// first: once a step's larger bounds are in, most particles find theirs below and skip the atomic,
// all on one word (a CPU driver serialises those across its threads); and no workgroup reduction,
// whose barrier costs more on lavapipe.
fn max_adj_bound(b: u32, s: u32, bound: f32) {
  let slot = adj_slot(b, s);
  let bits = bitcast<u32>(bound);
  if (bits > atomicLoad(&adj_max[slot])) { atomicMax(&adj_max[slot], bits); }
}
