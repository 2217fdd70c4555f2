// p2g: particle to grid (MLS-MPM with APIC, Hu et al. 2018, eq. 29 of the MLS-MPM paper).
// Reads state_in (x, v, C, F), the group parameters and this step's actuation.
// Writes grid_acc (fixed-point momentum in two words and mass, per batch copy and node:
// [mv_hi (DIM), m, mv_lo (DIM)], see common/fixed_point.wgsl).
//   m_i  += w_ip m_p
//   mv_i += w_ip (m_p v_p + A_p (x_i - x_p)),  A_p = -dt V_p 4/dx^2 tau_p + m_p C_p
//
// Each invocation takes SCATTER_RUN consecutive particles of one batch copy. Particles whose
// stencils share a base node (scenes store particles sorted by it, scenes/builders.ts) are summed
// in registers, in index order, and each such run issues one set of atomics: integer atomics are
// most of the cost of P2G on a CPU Vulkan driver and a large part on GPUs. The float sums keep
// their relative precision (a light node is as precise as a heavy one), and integer addition of
// the runs is order-free, so results stay bitwise reproducible. Particles in any order are still
// right, only slower (runs of one). Dispatched over runs (params.wgsl).
// Each run also stamps every node tile its stencil reaches (tiles.wgsl), for the grid kernels.
@group(0) @binding(4) var<storage, read> state_in: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> grid_acc: array<atomic<i32>>;
@group(0) @binding(6) var<storage, read_write> tile_stamp: array<u32>;

fn flush_run(b: u32, nodes_base: u32, base: vecDi, mv: ptr<function, array<vecD, STENCIL>>, m: ptr<function, array<f32, STENCIL>>) {
  stamp_tile(b, base);
  for (var k = 0u; k < STENCIL; k++) {
    let ni = nodes_base + node_index(base + stencil_offset(k));
    let a = ni * ACC_STRIDE;
    for (var d = 0u; d < DIM; d++) {
      let q = fp_split((*mv)[k][d], params.fp_p);
      atomicAdd(&grid_acc[a + d], q.x);
      atomicAdd(&grid_acc[a + DIM + 1u + d], q.y);
    }
    atomicAdd(&grid_acc[acc_mass_word(ni)], fp_encode((*m)[k], params.fp_m));
    (*mv)[k] = vecD(0.0);
    (*m)[k] = 0.0;
  }
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let run = scatter_run(gid.x, wid.y);
  if (run.p0 == run.p1) { return; }
  let b = run.b;
  var mv: array<vecD, STENCIL>;
  var m: array<f32, STENCIL>;
  var run_base: vecDi;
  for (var p = run.p0; p < run.p1; p++) {
    let P = load_state_in(b * params.n_particles + p);
    let g = load_group(b, particle_group(p));
    let vol = particle_vol(p);
    let mass = g.density * vol;
    let a = group_actuation(b, g);
    let A = kirchhoff(g, P.F, P.C, a, stress_svd(g, P.F)) * stress_impulse_scale(vol) + P.C * mass;
    let st = stencil_at(P.x, params.inv_dx);
    if (p > run.p0 && any(st.base != run_base)) { flush_run(b, run.nodes_base, run_base, &mv, &m); }
    run_base = st.base;
    for (var k = 0u; k < STENCIL; k++) {
      let o = stencil_offset(k);
      let w = stencil_weight(st, o);
      mv[k] += w * (mass * P.v + A * ((vecD(o) - st.fx) * params.dx));
      m[k] += w * mass;
    }
  }
  flush_run(b, run.nodes_base, run_base, &mv, &m);
}
