// Reading P2G's accumulator: the grid update and its adjoint both turn a node's fixed-point sums
// into its mass and velocity (the adjoint recomputes the update from the accumulator rather than
// reading a stored one). Included before the body of those two kernels: grid_acc is their
// binding 5. Layout per node: [mv_hi (DIM), m, mv_lo (DIM)] (ACC_STRIDE, params.wgsl); in a step
// adjoint p2g's replay writes the same words and dL/dv (2 DIM words per node, acc_grad_word), read
// by take_node_adj.
@group(0) @binding(5) var<storage, read_write> grid_acc: array<atomic<i32>>;

// Reads an accumulator and leaves it zero for the next p2g. Most nodes of a grid are empty: a load
// is much cheaper than an atomic exchange on a CPU driver, so only a non-zero word is exchanged.
fn take_acc(k: u32) -> i32 {
  if (atomicLoad(&grid_acc[k]) == 0) { return 0; }
  return atomicExchange(&grid_acc[k], 0);
}

// A node's mass and its velocity before contacts, mv / m + dt g (zero where m = 0); over: a sum
// beyond the fixed-point bounds (see fixed_point.wgsl), which the forward reports as a blow-up.
struct NodeSum { v: vecD, m: f32, over: bool }

fn take_node(i: u32) -> NodeSum {
  let q = i * ACC_STRIDE;
  var r: NodeSum;
  var mv: vecD;
  for (var d = 0u; d < DIM; d++) {
    let hi = take_acc(q + d);
    let lo = take_acc(q + DIM + 1u + d);
    mv[d] = fp_join(hi, lo, params.inv_fp_p);
    r.over = r.over || abs(mv[d]) > params.p_bound;
  }
  r.m = fp_decode(take_acc(acc_mass_word(i)), params.inv_fp_m);
  r.over = r.over || r.m < 0.0 || r.m > params.m_bound;
  if (r.m > 0.0) { r.v = mv / r.m + params.dt * gravity(); }
  return r;
}

// After the replay (p2g.wgsl): the forward's node, and dL/dv in two words at the scale sg given as
// its inverse. Leaves every word zero.
struct NodeSumAdj { s: NodeSum, gv: vecD }

fn take_node_adj(i: u32, inv_sg: f32) -> NodeSumAdj {
  var r: NodeSumAdj;
  for (var d = 0u; d < DIM; d++) { r.gv[d] = fp_join(take_acc(acc_grad_word(i, d)), take_acc(acc_grad_lo_word(i, d)), inv_sg); }
  r.s = take_node(i);
  return r;
}
