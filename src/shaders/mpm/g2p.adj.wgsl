// Adjoint of g2p, in two passes, so that the scatter's fixed-point scale can be chosen from the
// whole step's largest contribution (see common/fixed_point.wgsl).
// local (per particle, no stencil loop; this file): reads state_in, state_out (v' and C' as g2p wrote them:
//   the tape keeps both ends of every step it reverses, so the gather of g2p is not redone) and
//   g_state_out = dL/d state_out; writes g2p_adj_terms (g2p_adj_terms.wgsl) to g_local, so that
//   dL/dv_i = sum_p w_ip (a_p + Bm_p (x_i - x_p)), and their bound to adj_max. Inside a segment
//   of a rollout p2g's adjoint of the next step has already done this (fused), and local is skipped.
//   The part through the stencil weights, sum_i dw_ip . v_i (a_p + Bm_p (x_i - x_p)), is a gather
//   of grid_v over the stencil: p2g's adjoint does it in its own stencil loop.
// scatter: adds those node gradients into grid_acc with fixed-point atomics, at a scale from the
//   step's largest contribution (adj_max). It visits the stencils p2g does, of the same particles,
//   so it is done in p2g's replay for the step adjoint (p2g.wgsl), one pass for both.
@group(0) @binding(5) var<storage, read> state_in: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> state_out: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read> g_state_out: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> g_local: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read_write> adj_max: array<atomic<u32>>;

@compute @workgroup_size(PARTICLE_WG)
fn local(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = particle_id(gid, nwg);
  if (!id.ok) { return; }
  let t = g2p_adj_terms(load_group(id.b, particle_group(id.b, id.p)), load_state_in(id.i), load_state_out(id.i), load_g_state_out(id.i));
  store_g_local(id.i, t.rec);
  max_adj_bound(id.b, step.step, t.bound);
}
