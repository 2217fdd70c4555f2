// Adjoint of g2p, in two passes so the scatter's fixed-point scale can be chosen from the whole
// step's largest contribution (see common/fixed_point.wgsl).
// local (per particle, no stencil loop): reads state_in, state_out (v' and C' as g2p wrote them:
//   the tape keeps both ends of every step it reverses, so the gather of g2p is not redone) and
//   g_state_out = dL/d state_out; writes g2p_adj_terms (g2p_adj_terms.wgsl) to g_local, so that
//   dL/dv_i = sum_p w_ip (a_p + Bm_p (x_i - x_p)), and their bound to adj_max. Inside a segment
//   of a rollout p2g's adjoint of the next step has already done this (fused), and local is skipped.
//   The part through the stencil weights, sum_i dw_ip . v_i (a_p + Bm_p (x_i - x_p)), is a gather
//   of grid_v over the stencil: p2g's adjoint does it in its own stencil loop.
// scatter (per run of SCATTER_RUN particles, see p2g.wgsl): adds those node gradients into
//   g_grid_acc with fixed-point atomics, at a scale per node from the step's largest contribution
//   and the node's mass (read from p2g's accumulator, before the grid update's adjoint takes it).
//   A run's partial sum is within the node's bound like the whole.
@group(0) @binding(4) var<storage, read> state_in: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> state_out: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> g_state_out: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> g_local: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> adj_max: array<atomic<u32>>;
@group(0) @binding(9) var<storage, read_write> g_grid_acc: array<atomic<i32>>;
@group(0) @binding(10) var<storage, read_write> grid_acc: array<atomic<i32>>; // only loaded

@compute @workgroup_size(64)
fn local(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let p = gid.x;
  let b = wid.y;
  var bound = 0u;
  if (p < params.n_particles) {
    let i = b * params.n_particles + p;
    let t = g2p_adj_terms(load_group(b, particle_group(p)), load_state_in(i), load_state_out(i), load_g_state_out(i));
    store_g_local(i, t.rec);
    bound = bitcast<u32>(t.bound);
  }
  let m = workgroup_max(bound);
  if ((p & 63u) == 0u) { atomicMax(&adj_max[adj_slot(b, step.step)], m); } // the first of the workgroup
}

fn flush_run(nodes_base: u32, base: vecDi, exponent: f32, c: ptr<function, array<vecD, STENCIL>>) {
  for (var k = 0u; k < STENCIL; k++) {
    let ni = nodes_base + node_index(base + stencil_offset(k));
    let m = fp_decode(atomicLoad(&grid_acc[acc_mass_word(ni)]), params.inv_fp_m);
    // A node whose mass sum is zero (a stencil's weight there too small to show) has v = 0 in g2p:
    // nothing flows back through it, and the grid update's adjoint finds its accumulator empty.
    if (m > 0.0) {
      let scale = fp_adj_node_scale(exponent, m, params.inv_min_mass);
      for (var d = 0u; d < DIM; d++) { atomicAdd(&g_grid_acc[ni * DIM + d], fp_encode((*c)[k][d], scale)); }
    }
    (*c)[k] = vecD(0.0);
  }
}

// Runs of particles sharing a stencil base are summed before the atomics, as in p2g.wgsl.
@compute @workgroup_size(64)
fn scatter(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let run = scatter_run(gid.x, wid.y);
  if (run.p0 == run.p1) { return; }
  let b = run.b;
  let exponent = fp_adj_exponent(atomicLoad(&adj_max[adj_slot(b, step.step)]));
  var c: array<vecD, STENCIL>;
  var run_base: vecDi;
  for (var p = run.p0; p < run.p1; p++) {
    let i = b * params.n_particles + p;
    let st = stencil_at(load_state_in(i).x, params.inv_dx);
    let R = load_g_local(i);
    let a = R.v;
    let Bm = R.C;
    if (p > run.p0 && any(st.base != run_base)) { flush_run(run.nodes_base, run_base, exponent, &c); }
    run_base = st.base;
    for (var k = 0u; k < STENCIL; k++) {
      let so = stencil_offset(k);
      c[k] += stencil_weight(st, so) * (a + Bm * ((vecD(so) - st.fx) * params.dx));
    }
  }
  flush_run(run.nodes_base, run_base, exponent, &c);
}
