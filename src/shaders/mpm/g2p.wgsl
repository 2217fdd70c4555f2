// g2p: grid to particle (APIC) and the deformation update.
// Reads state_in and grid_v. Writes state_out and the rollout status.
//   v' = sum_i w_ip v_i,  C' = 4/dx^2 sum_i w_ip v_i (x_i - x_p)^T,  x' = x + dt v'
//   F' = projection((I + dt C') F)  (a fluid's record: F' - I, see material.wgsl)
// x' is clamped to the interior of the grid (counted in status[0]); a non-finite value or
// |v'| > v_limit records the step in status[1] (atomicMin), so blow-ups are reported, not hidden.
@group(0) @binding(5) var<storage, read> state_in: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> grid_v: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> state_out: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> status: array<atomic<u32>>;

@compute @workgroup_size(PARTICLE_WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = particle_id(gid, nwg);
  if (!id.ok) { return; }
  let P = load_state_in(id.i);
  let g = load_group(id.b, particle_group(id.b, id.p));
  let st = stencil_at(P.x, params.inv_dx);
  var v = vecD(0.0);
  var B: matD;
  for (var k = 0u; k < STENCIL; k++) {
    let o = stencil_offset(k);
    let w = stencil_weight(st, o);
    let dpos = (vecD(o) - st.fx) * params.dx;
    let vi = node_v(grid_v[id.b * params.res.w + node_index(st.base + o)]);
    v += w * vi;
    B += outer(w * vi, dpos);
  }
  var Q: Particle;
  Q.v = v;
  Q.C = B * (4.0 * params.inv_dx * params.inv_dx);
  Q.x = P.x + params.dt * v;
  var clamped = false;
  for (var d = 0u; d < DIM; d++) {
    let xb = x_bounds(d);
    if (Q.x[d] < xb.x || Q.x[d] > xb.y) { clamped = true; Q.x[d] = clamp(Q.x[d], xb.x, xb.y); }
  }
  Q.F = deformation_update(g, params.dt * Q.C, P.F); // a fluid's record holds F - I (material.wgsl)
  store_state_out(id.i, Q);
  if (clamped) { atomicAdd(&status[0], 1u); }
  var bad = length(v) > params.v_limit;
  for (var j = 0u; j < DIM; j++) {
    bad = bad || non_finite(v[j]) || non_finite(Q.F[j][j]) || non_finite(Q.x[j]);
  }
  if (bad) { atomicMin(&status[1], step.step); }
}
