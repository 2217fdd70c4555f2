// p2g: particle to grid (MLS-MPM with APIC, Hu et al. 2018, eq. 29 of the MLS-MPM paper).
// Reads state_in (x, v, C, F), the group parameters and this step's actuation.
// Writes grid_acc (fixed-point momentum in two words and mass, per batch copy and node:
// [mv_hi (DIM), m, mv_lo (DIM)], see common/fixed_point.wgsl).
//   m_i  += w_ip m_p
//   mv_i += w_ip (m_p v_p + A_p (x_i - x_p)),  A_p = -dt V_p 4/dx^2 tau_p + m_p C_p
@group(0) @binding(4) var<storage, read> state_in: array<f32>;
@group(0) @binding(5) var<storage, read_write> grid_acc: array<atomic<i32>>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= params.n_particles * params.batch) { return; }
  let b = i / params.n_particles;
  let p = i % params.n_particles;
  let P = load_state_in(i);
  let g = load_group(b, particle_group(p));
  let vol = particle_vol(p);
  let mass = g.density * vol;
  let a = group_actuation(b, g);
  let A = kirchhoff(g, P.F, P.C, a, stress_svd(g, P.F)) * stress_impulse_scale(vol) + P.C * mass;
  let st = stencil_at(P.x, params.inv_dx);
  let nodes_base = b * params.res.w;
  for (var k = 0u; k < STENCIL; k++) {
    let o = stencil_offset(k);
    let w = stencil_weight(st, o);
    let dpos = (vecD(o) - st.fx) * params.dx;
    let mv = w * (mass * P.v + A * dpos);
    let base = (nodes_base + node_index(st.base + o)) * ACC_STRIDE;
    for (var d = 0u; d < DIM; d++) {
      let q = fp_split(mv[d], params.fp_p);
      atomicAdd(&grid_acc[base + d], q.x);
      atomicAdd(&grid_acc[base + DIM + 1u + d], q.y);
    }
    atomicAdd(&grid_acc[base + DIM], fp_encode(w * mass, params.fp_m));
  }
}
