// Adjoint of g2p, in two passes so the scatter's fixed-point scale can be chosen from the whole
// step's largest contribution (see common/fixed_point.wgsl).
// local (per particle, no stencil loop): reads state_in, state_out (v' and C' as g2p wrote them:
//   the tape keeps both ends of every step it reverses, so the gather of g2p is not redone) and
//   g_state_out = dL/d state_out.
//   Writes, per particle, a record in g_local, in the particle layout (x, v, C, F): in x and F the
//   partial gradient (dL/dx and dL/dF of state_in through this stage, except the part through
//   the stencil weights), in v and C the scatter terms a = dL/dv' and Bm = 4/dx^2 dL/dC', so that
//   dL/dv_i = sum_p w_ip (a_p + Bm_p (x_i - x_p)).
//   The part through the weights, sum_i dw_ip . v_i (a_p + Bm_p (x_i - x_p)), is a gather of
//   grid_v over the stencil: p2g's adjoint does it in its own stencil loop, which it runs anyway.
// scatter (per run of SCATTER_RUN particles, see p2g.wgsl): adds those node gradients into
//   g_grid_acc with fixed-point atomics, at a scale per node from the step's largest contribution
//   and the node's mass (grid_vin). A run's partial sum is within the node's bound like the whole.
@group(0) @binding(4) var<storage, read> state_in: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> state_out: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> g_state_out: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> g_local: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> adj_max: array<atomic<u32>>;
@group(0) @binding(9) var<storage, read_write> g_grid_acc: array<atomic<i32>>;
@group(0) @binding(10) var<storage, read> grid_vin: array<vec4<f32>>;

// Writes the g_local record of particle p of copy b; returns the bound of its scatter terms.
fn local_record(p: u32, b: u32) -> f32 {
  let i = b * params.n_particles + p;
  let P = load_state_in(i);
  let G = load_g_state_out(i);
  let g = load_group(b, particle_group(p));
  let c4 = 4.0 * params.inv_dx * params.inv_dx;
  let Q = load_state_out(i);
  let v = Q.v;
  let Cn = Q.C;
  let xr = P.x + params.dt * v;
  var gxo = G.x;
  for (var d = 0u; d < DIM; d++) {
    if (xr[d] < params.dx || xr[d] > f32(params.res[d] - 2u) * params.dx) { gxo[d] = 0.0; }
  }
  let Fd = ident() + params.dt * Cn;
  let gFpre = projection_adj(g, Fd * P.F, G.F);
  let gv = G.v + params.dt * gxo;
  let gC = G.C + params.dt * gFpre * transpose(P.F);
  // dL/dx through dpos of the gather: sum_i -c4 w_ip gC^T v_i = -c4 gC^T v', as g2p summed
  // v' = sum_i w_ip v_i (the part through the weights is gathered by p2g's adjoint).
  let gx = gxo - c4 * (transpose(gC) * v);
  let gF = transpose(Fd) * gFpre;
  let Bm = gC * c4;
  store_g_local(i, Particle(gx, gv, Bm, gF));
  var bound = 0.0;
  for (var d = 0u; d < DIM; d++) {
    var row = abs(gv[d]);
    for (var j = 0u; j < DIM; j++) { row += 1.5 * params.dx * abs(Bm[j][d]); }
    bound = max(bound, row);
  }
  if (non_finite(bound)) { bound = 3.0e38; }
  return bound;
}

// The workgroup's largest bound (a workgroup is within one batch copy): one global atomicMax per
// workgroup instead of one per particle, all on the same word (a CPU driver serialises those
// across its threads).
var<workgroup> wg_max: atomic<u32>;

@compute @workgroup_size(64)
fn local(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let p = gid.x;
  let b = wid.y;
  if (p < params.n_particles) {
    atomicMax(&wg_max, bitcast<u32>(local_record(p, b))); // a non-negative float's bits order like the float
  }
  workgroupBarrier();
  if ((p & 63u) == 0u) { atomicMax(&adj_max[b], atomicLoad(&wg_max)); } // the first of the workgroup
}

fn flush_run(nodes_base: u32, base: vecDi, exponent: f32, c: ptr<function, array<vecD, STENCIL>>) {
  for (var k = 0u; k < STENCIL; k++) {
    let ni = nodes_base + node_index(base + stencil_offset(k));
    let scale = fp_adj_node_scale(exponent, grid_vin[ni].w, params.inv_min_mass);
    for (var d = 0u; d < DIM; d++) { atomicAdd(&g_grid_acc[ni * DIM + d], fp_encode((*c)[k][d], scale)); }
    (*c)[k] = vecD(0.0);
  }
}

// Runs of particles sharing a stencil base are summed before the atomics, as in p2g.wgsl.
@compute @workgroup_size(64)
fn scatter(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let run = scatter_run(gid.x, wid.y);
  if (run.p0 == run.p1) { return; }
  let b = run.b;
  let exponent = fp_adj_exponent(atomicLoad(&adj_max[b]));
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
