// p2g: particle to grid (MLS-MPM with APIC, Hu et al. 2018, eq. 29 of the MLS-MPM paper).
// Reads state_in (x, v, C, F), the group parameters and this step's actuation.
// Writes grid_acc (fixed-point momentum in two words and mass, per batch copy and node:
// [mv_hi (DIM), m, mv_lo (DIM)], see common/fixed_point.wgsl).
//   m_i  += w_ip m_p
//   mv_i += w_ip (m_p v_p + A_p (x_i - x_p)),  A_p = -dt V_p 4/dx^2 tau_p + m_p C_p
//
// Each invocation takes SCATTER_RUN consecutive particles of one batch copy and visits them in
// order of stencil base node, then index (run_order). Particles that share a base (scenes store
// them so, scenes/builders.ts, and they stay near each other as a body moves) are summed in
// registers, in that order, and each such run issues one set of atomics: integer atomics are
// most of the cost of P2G on a CPU Vulkan driver and a large part on GPUs. The float sums keep
// their relative precision (a light node is as precise as a heavy one), and integer addition of
// the runs is order-free, so results stay bitwise reproducible. Particles in any order are still
// right, only slower (runs of one). Dispatched over runs (params.wgsl).
// Each run also stamps every node tile its stencil reaches (tiles.wgsl), for the grid kernels.
// `replay` is a step adjoint's p2g, fused with g2p adjoint's scatter (below).
@group(0) @binding(5) var<storage, read> state_in: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> grid_acc: array<atomic<i32>>;
@group(0) @binding(7) var<storage, read_write> tile_stamp: array<u32>;
@group(0) @binding(8) var<storage, read> g_local: array<vec4<f32>>; // replay only
@group(0) @binding(9) var<storage, read> adj_max: array<u32>; // replay only

// The run's particles (offsets from run.p0) in order of stencil base node, then offset: once a
// body moves, the 2^DIM particles around a node no longer all share a base, and in index order
// the bases alternate (a run split along x: B, B', B, B'), each change a flush; in this order each
// base is one flush. Keys node * SCATTER_RUN + offset are distinct, so the network of
// compare-exchanges leaves one order whatever the driver; p2g and its replay share it, so the
// replay's node masses are the forward's to the bit. Past p1: keys that sort last, skipped.
fn run_order(run: ScatterRun) -> array<u32, SCATTER_RUN> {
  var k: array<u32, SCATTER_RUN>;
  for (var j = 0u; j < SCATTER_RUN; j++) {
    var key = 0xffffffffu;
    if (run.p0 + j < run.p1) {
      // x is the first DIM floats of the record (params.wgsl)
      let w = state_in[(run.b * params.n_particles + run.p0 + j) * (PSTRIDE / 4u)];
      var x: vecD;
      for (var d = 0u; d < DIM; d++) { x[d] = w[d]; }
      key = node_index(stencil_at(x, params.inv_dx).base) * SCATTER_RUN + j;
    }
    k[j] = key;
  }
  // odd-even transposition: SCATTER_RUN rounds sort SCATTER_RUN keys
  for (var r = 0u; r < SCATTER_RUN; r++) {
    for (var j = r % 2u; j + 1u < SCATTER_RUN; j += 2u) {
      let a = k[j];
      let c = k[j + 1u];
      k[j] = min(a, c);
      k[j + 1u] = max(a, c);
    }
  }
  for (var j = 0u; j < SCATTER_RUN; j++) { k[j] = select(k[j] % SCATTER_RUN, SCATTER_RUN, k[j] == 0xffffffffu); }
  return k;
}

// What particle p of copy b adds to node x_i of its stencil: w_ip (mv + A (x_i - x_p)), w_ip mass.
struct P2gParticle { st: Stencil, mass: f32, mv: vecD, A: matD }

fn p2g_particle(b: u32, p: u32) -> P2gParticle {
  let P = load_state_in(b * params.n_particles + p);
  let g = load_group(b, particle_group(b, p));
  let vol = particle_vol(b, p);
  let mass = g.density * vol;
  let a = group_actuation(b, g);
  let A = kirchhoff(g, P.F, P.C, a, stress_rot(g, P.F)) * stress_impulse_scale(vol) + P.C * mass;
  return P2gParticle(stencil_at(P.x, params.inv_dx), mass, mass * P.v, A);
}

// A run's mass at a node in whole quanta of the mass word (at least one where it has any), and
// its momentum scaled to that mass: a node's velocity is then a weighted mean of its runs'
// velocities even where its mass is a few quanta (a node a body is leaving), not a momentum over
// a mass rounded apart from it, nor zero where the mass rounded away.
struct RunSum { mq: i32, mv: vecD }

fn run_sum(mv: vecD, m: f32) -> RunSum {
  if (!(m > 0.0)) { return RunSum(0, vecD(0.0)); }
  let mq = max(fp_encode(m, params.fp_m), 1);
  return RunSum(mq, (mv / m) * (f32(mq) * params.inv_fp_m));
}

fn flush_run(b: u32, nodes_base: u32, base: vecDi, mv: ptr<function, array<vecD, STENCIL>>, m: ptr<function, array<f32, STENCIL>>) {
  stamp_tile(b, base);
  for (var k = 0u; k < STENCIL; k++) {
    let ni = nodes_base + node_index(base + stencil_offset(k));
    let a = ni * ACC_STRIDE;
    let r = run_sum((*mv)[k], (*m)[k]);
    for (var d = 0u; d < DIM; d++) {
      let q = fp_split(r.mv[d], params.fp_p);
      atomicAdd(&grid_acc[a + d], q.x);
      atomicAdd(&grid_acc[a + DIM + 1u + d], q.y);
    }
    atomicAdd(&grid_acc[acc_mass_word(ni)], r.mq);
    (*mv)[k] = vecD(0.0);
    (*m)[k] = 0.0;
  }
}

@compute @workgroup_size(PARTICLE_WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let run = scatter_run(gid, nwg);
  if (run.p0 == run.p1) { return; }
  let b = run.b;
  var mv: array<vecD, STENCIL>;
  var m: array<f32, STENCIL>;
  var run_base: vecDi;
  let order = run_order(run);
  for (var j = 0u; j < SCATTER_RUN; j++) {
    if (order[j] == SCATTER_RUN) { break; }
    let q = p2g_particle(b, run.p0 + order[j]);
    if (j > 0u && any(q.st.base != run_base)) { flush_run(b, run.nodes_base, run_base, &mv, &m); }
    run_base = q.st.base;
    for (var k = 0u; k < STENCIL; k++) {
      let o = stencil_offset(k);
      let w = stencil_weight(q.st, o);
      mv[k] += w * (q.mv + q.A * ((vecD(o) - q.st.fx) * params.dx));
      m[k] += w * q.mass;
    }
  }
  flush_run(b, run.nodes_base, run_base, &mv, &m);
}

// replay: p2g of this step once more, for its adjoint (the grid is recomputed, never stored), in
// the same pass as g2p adjoint's scatter, which visits the same stencils of the same particles.
// Writes grid_acc (grid_acc.wgsl):
// - mass and momentum as the forward writes them (run_sum, the same words and scales, in the same
//   order), so the node masses and velocities are the forward's to the bit. A node the body is
//   leaving holds a few quanta of mass; one momentum word at a coarser scale made its velocity
//   noise, which the adjoint's weight gradients (whose weights shrink only as the square root of
//   the node's mass) carried into dL/dx;
// - dL/dv_i = sum_p w_ip (a_p + Bm_p (x_i - x_p)) with a_p, Bm_p from g_local (g2p_adj_terms.wgsl),
//   in two words per node (fp_split: a light node's sum is far below one word's quantum, ~2^-23 of
//   the step's largest term) after every node's ACC_STRIDE words (acc_grad_word), at the scale of
//   adj_grid_scale from the step's adj_max. A node's scale cannot depend on its own mass here (the
//   mass sum is not complete until the pass ends), hence the common headroom m_bound / m_min,
//   which grid_update holds in every step that did not blow up.
fn flush_replay(b: u32, nodes_base: u32, base: vecDi, sg: f32, mv: ptr<function, array<vecD, STENCIL>>,
  m: ptr<function, array<f32, STENCIL>>, c: ptr<function, array<vecD, STENCIL>>) {
  stamp_tile(b, base);
  for (var k = 0u; k < STENCIL; k++) {
    let ni = nodes_base + node_index(base + stencil_offset(k));
    let a = ni * ACC_STRIDE;
    let r = run_sum((*mv)[k], (*m)[k]);
    for (var d = 0u; d < DIM; d++) {
      let q = fp_split(r.mv[d], params.fp_p);
      atomicAdd(&grid_acc[a + d], q.x);
      atomicAdd(&grid_acc[a + DIM + 1u + d], q.y);
      let g = fp_split((*c)[k][d], sg);
      atomicAdd(&grid_acc[acc_grad_word(ni, d)], g.x);
      if (g.y != 0) { atomicAdd(&grid_acc[acc_grad_lo_word(ni, d)], g.y); }
    }
    atomicAdd(&grid_acc[acc_mass_word(ni)], r.mq);
    (*mv)[k] = vecD(0.0);
    (*m)[k] = 0.0;
    (*c)[k] = vecD(0.0);
  }
}

@compute @workgroup_size(PARTICLE_WG)
fn replay(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let run = scatter_run(gid, nwg);
  if (run.p0 == run.p1) { return; }
  let b = run.b;
  let sg = adj_grid_scale(adj_max[adj_slot(b, step.step)]);
  var mv: array<vecD, STENCIL>;
  var m: array<f32, STENCIL>;
  var c: array<vecD, STENCIL>;
  var run_base: vecDi;
  let order = run_order(run);
  for (var j = 0u; j < SCATTER_RUN; j++) {
    if (order[j] == SCATTER_RUN) { break; }
    let p = run.p0 + order[j];
    let q = p2g_particle(b, p);
    let R = load_g_local(b * params.n_particles + p); // v: a_p, C: Bm_p
    if (j > 0u && any(q.st.base != run_base)) { flush_replay(b, run.nodes_base, run_base, sg, &mv, &m, &c); }
    run_base = q.st.base;
    for (var k = 0u; k < STENCIL; k++) {
      let o = stencil_offset(k);
      let w = stencil_weight(q.st, o);
      let dpos = (vecD(o) - q.st.fx) * params.dx;
      mv[k] += w * (q.mv + q.A * dpos);
      m[k] += w * q.mass;
      c[k] += w * (R.v + R.C * dpos);
    }
  }
  flush_replay(b, run.nodes_base, run_base, sg, &mv, &m, &c);
}
