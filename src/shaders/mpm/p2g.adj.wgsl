// Adjoint of p2g, as a gather (no atomics): each particle reads the node gradients of its stencil.
// Reads state_in, g_local (what g2p's adjoint already found for x and F, and its scatter terms a,
// Bm) and adj_node (per node dL/dmv_i, dL/dm_i and this step's grid velocity v_i, in two records:
// adj_pack in dim2.wgsl): the same stencil loop also gathers g2p's adjoint through the weights,
// dL/dx += sum_i dw_ip . v_i (a + Bm dpos). A stencil free of contacts reads only dL/dmv and v of
// each node (2D: the first record; 3D: six floats of eight): the gathers of a CPU driver go lane
// by lane and component by component, so every float not loaded counts. For the same reason, in 2D with subgroups of 8 lanes,
// the lanes of a subgroup share one load of the nodes around their stencils (the node window,
// node-window.ts) where their stencil bases lie close enough.
// Writes g_state_in = dL/d state_in; accumulates dL/dE and dL/dnu per particle over the rollout
// and writes this step's dL/da per particle into g_particle ([b][3][N]).
// Thread 0 of each batch copy resets this step's adj_max word: every reader of its scale has run.
// fused (step s, inside a segment of a rollout): then also g2p's local adjoint of step s - 1,
// which needs exactly what this kernel holds: dL/d(state s) in registers, state s (g2p's output
// of step s - 1) already loaded, and state_prev = state s - 1. It overwrites g_local with step
// s - 1's record after reading step s's (each invocation only its own particle's record). It does
// not write g_state_in: dL/d(state s) goes straight into those terms, and no later kernel reads it
// (the adjoint of step s - 1 skips g2p's local pass).
@group(0) @binding(5) var<storage, read> state_in: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> adj_node: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> g_local: array<vec4<f32>>; // a particle record: see g2p_adj_terms.wgsl
@group(0) @binding(8) var<storage, read_write> g_state_in: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read_write> g_particle: array<f32>;
@group(0) @binding(10) var<storage, read_write> adj_max: array<atomic<u32>>;
@group(0) @binding(11) var<storage, read> state_prev: array<vec4<f32>>; // fused only

// This lane's stencil records from the node window (node-window.ts): the lanes load the window at
// wb (the subgroup's least stencil base) between them, WIN_LOADS nodes each, and d = base - wb
// places the lane's stencil in it. Only the first records where `both` is false.
struct StencilRecords { r0: array<vec4<f32>, STENCIL>, r1: array<vec4<f32>, STENCIL> }

fn window_records(b: u32, wb: vecDi, d: vecDi, both: bool) -> StencilRecords {
  var r0: array<vec4<f32>, WIN_LOADS>;
  var r1: array<vec4<f32>, WIN_LOADS>;
  let lane = window_lane();
  for (var m = 0u; m < WIN_LOADS; m++) {
    // window node j (x fastest); the last register's spare lanes and nodes past the grid's edge,
    // which no stencil reads, load a node inside
    var j = min(m * WIN_LANES + lane, WIN_NODES - 1u);
    var n: vecDi;
    for (var i = 0u; i < DIM; i++) {
      n[i] = clamp(wb[i] + i32(j % u32(WIN_EXTENT[i])), 0, i32(params.res[i]) - 1);
      j = j / u32(WIN_EXTENT[i]);
    }
    let ni = b * params.res.w + node_index(n);
    r0[m] = adj_node[2u * ni];
    if (both) { r1[m] = adj_node[2u * ni + 1u]; }
  }
  var s: StencilRecords;
  s.r0 = window_stencil(r0, d);
  if (both) { s.r1 = window_stencil(r1, d); }
  return s;
}

// The stencil sums of p2g's adjoint for a particle (vg = v_p + dt g; ga, Bm: g2p's scatter terms):
// sum_i w_ip dL/dmv_i, sum_i w_ip dL/dmv_i dpos^T, and dL/dx through the weights (less the part
// through A, taken after). free: the stencil is free of contacts, and dgm is not read (nor the
// second record in 2D, adj_pack in dim2.wgsl). windowed: the records come from `win`
// (window_records), else from adj_node. Called with constants, in separate branches, so each is
// compiled without a per-node test (one measured as costly as the load).
struct StencilAdj { gvs: vecD, gA: matD, gx: vecD }

fn stencil_adj(b: u32, st: Stencil, mass: f32, A: matD, vg: vecD, ga: vecD, Bm: matD, free: bool,
  windowed: bool, win: StencilRecords) -> StencilAdj {
  var r: StencilAdj;
  for (var k = 0u; k < STENCIL; k++) {
    let o = stencil_offset(k);
    let nw = stencil_node(st, o, params.inv_dx);
    let dpos = (vecD(o) - st.fx) * params.dx;
    var r0: vec4<f32>;
    var r1 = vec4<f32>(0.0);
    if (windowed) {
      r0 = win.r0[k];
      if (!free || !ADJ_V_IN_FIRST) { r1 = win.r1[k]; }
    } else {
      let ni = b * params.res.w + node_index(st.base + o);
      r0 = adj_node[2u * ni];
      if (!free || !ADJ_V_IN_FIRST) { r1 = adj_node[2u * ni + 1u]; }
    }
    let gmv = adj_gmv(r0);
    let vi = adj_v(r0, r1);
    // dL/dm_i + dL/dmv_i . v_p (times m_p below), without the cancellation (grid_update.adj.wgsl)
    var gm_p = dot(gmv, vg - vi);
    if (!free) { gm_p += adj_dgm(r0, r1); }
    r.gvs += nw.w * gmv;
    r.gA += outer(nw.w * gmv, dpos);
    r.gx += nw.dw * (gm_p * mass + dot(gmv, A * dpos) + dot(vi, ga + Bm * dpos));
  }
  return r;
}

// The adjoint of particle p of copy b (g, its group); returns dL/d state_in, and stores it if `store`.
// ok: whether p is a particle of this invocation (see lane_particle): if not, it writes nothing.
fn p2g_adj_particle(p: u32, b: u32, P: Particle, g: Group, store: bool, ok: bool) -> Particle {
  let i = b * params.n_particles + p;
  if (p == 0u) { atomicStore(&adj_max[adj_slot(b, step.step)], 0u); }
  let vol = particle_vol(b, p);
  let mass = g.density * vol;
  let a = group_actuation(b, g);
  let ctau = stress_impulse_scale(vol);
  let rot = stress_rot(g, P.F);
  let A = kirchhoff(g, P.F, P.C, a, rot) * ctau + P.C * mass;
  let st = stencil_at(P.x, params.inv_dx);
  let vg = P.v + params.dt * gravity();
  let R = load_g_local(i); // g2p's adjoint: partial dL/dx and dL/dF, scatter terms a and Bm
  let free = stencil_contact_free(st.base);
  var wb: vecDi;
  for (var k = 0u; k < DIM; k++) { wb[k] = window_min(st.base[k]); }
  let wd = st.base - wb;
  var S: StencilAdj;
  var win: StencilRecords;
  if (NODE_WINDOW && window_all(all(wd <= WIN_SLACK))) {
    // the whole subgroup takes one branch: the shuffles need every lane
    let all_free = window_all(free);
    win = window_records(b, wb, wd, !all_free || !ADJ_V_IN_FIRST);
    if (all_free) { S = stencil_adj(b, st, mass, A, vg, R.v, R.C, true, true, win); }
    else { S = stencil_adj(b, st, mass, A, vg, R.v, R.C, false, true, win); }
  } else if (free) {
    S = stencil_adj(b, st, mass, A, vg, R.v, R.C, true, false, win);
  } else {
    S = stencil_adj(b, st, mass, A, vg, R.v, R.C, false, false, win);
  }
  let gvs = S.gvs;
  let gA = S.gA;
  var gx = S.gx;
  // through dpos = x_i - x_p: sum_i -w_ip A^T g_mv_i, with the sum over nodes taken first
  gx -= transpose(A) * gvs;
  let sa = kirchhoff_adj(g, P.F, P.C, a, gA * ctau, rot);
  var Q: Particle;
  Q.x = gx + R.x;
  Q.v = gvs * mass;
  Q.C = gA * mass + sa.gC;
  Q.F = sa.gF + R.F;
  if (!ok) { return Q; }
  if (store) { store_g_state_in(i, Q); }
  let N = params.n_particles;
  // in the scene's order (particle_index), where MpmSim sums them per group
  let q = particle_index(b, p);
  g_particle[(b * 3u) * N + q] += sa.gE;
  g_particle[(b * 3u + 1u) * N + q] += sa.gnu;
  // dL/da is read per group with an actuator only (MpmSim's actuation segments)
  if (g.actuator != NO_ACTUATOR) { g_particle[(b * 3u + 2u) * N + q] = sa.ga; }
  return Q;
}

// No early return for lanes past the last particle: the node window's shuffles need every lane.
// Such a lane redoes the last particle (id.ok stays false, and it writes nothing).
fn lane_particle(gid: vec3<u32>, nwg: vec3<u32>) -> ParticleId {
  var id = particle_id(gid, nwg);
  id.p = min(id.p, params.n_particles - 1u);
  id.i = id.b * params.n_particles + id.p;
  return id;
}

@compute @workgroup_size(PARTICLE_WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = lane_particle(gid, nwg);
  _ = p2g_adj_particle(id.p, id.b, load_state_in(id.i), load_group(id.b, particle_group(id.b, id.p)), true, id.ok);
}

@compute @workgroup_size(PARTICLE_WG)
fn fused(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = lane_particle(gid, nwg);
  let P = load_state_in(id.i);
  let g = load_group(id.b, particle_group(id.b, id.p));
  let G = p2g_adj_particle(id.p, id.b, P, g, false, id.ok);
  if (!id.ok) { return; }
  let t = g2p_adj_terms(g, load_state_prev(id.i), P, G);
  store_g_local(id.i, t.rec);
  max_adj_bound(id.b, step.step - 1u, t.bound);
}
