// Uniforms shared by every MPM kernel (bindings 0 and 1) and the particle record.
// SimParams, StepInfo and the layout constants (PARTICLE_WG, GROUP_VEC4S, PSTRIDE, ACC_STRIDE,
// the record fields and codes) are generated from src/mpm/records.ts, the tables packMpm writes
// by, and put ahead of this file (composeMpm).

@group(0) @binding(0) var<uniform> params: SimParams;
@group(0) @binding(1) var<uniform> step: StepInfo;

// The mass word of a node of the P2G accumulator ([mv_hi (DIM), m, mv_lo (DIM)]: ACC_STRIDE words).
fn acc_mass_word(node: u32) -> u32 { return node * ACC_STRIDE + DIM; }
// In a step adjoint, the replay's dL/dv_i: 2 DIM words per node ([hi (DIM), lo (DIM)], fp_split)
// after all nodes' ACC_STRIDE words, so the forward's accumulator keeps its stride.
fn acc_grad_word(node: u32, d: u32) -> u32 { return params.batch * params.res.w * ACC_STRIDE + node * 2u * DIM + d; }
fn acc_grad_lo_word(node: u32, d: u32) -> u32 { return acc_grad_word(node, d) + DIM; }

// Particle state, array-of-structs in f32 (PSTRIDE floats): x (DIM), v (DIM), C (DIM², column-major),
// F (DIM²; F - I for a fluid, see material.wgsl). Gradient buffers use the same record.
struct Particle { x: vecD, v: vecD, C: matD, F: matD }

fn node_index(n: vecDi) -> u32 {
  var idx = 0u;
  var stride = 1u;
  for (var i = 0u; i < DIM; i++) { idx += u32(n[i]) * stride; stride *= params.res[i]; }
  return idx;
}

// Dispatch shapes (src/mpm/simulator.ts), chosen so that no kernel divides by a count per lane: a CPU
// driver runs a per-lane integer division as one scalar divide per lane (measured: most of a
// grid update's time when the node coordinates came from a flat index).
//   particle kernels: @workgroup_size(PARTICLE_WG), workgroups (row, rows, batch): the workgroups
//                     of a batch copy in rows of nwg.x (more than one only where a copy needs
//                     more workgroups than a dispatch dimension holds), so particle
//                     p = global x + global y * nwg.x * PARTICLE_WG, batch copy b = global z
//                     (row_index below);
//   scatter kernels:  the same over runs of SCATTER_RUN particles (scatter_run below);
//   node kernels:     @workgroup_size(8, 8), workgroups (ceil(res.x / 8), ceil(res.y / 8),
//                     res.z * batch): node (x, y, z) and copy b from the ids (grid_node below).
// (lavapipe itself still divides each lane's index by the workgroup size for the local ids it is
// asked for: local_invocation_index costs more there than global x and y.)

// The index within its batch copy of a particle or scatter kernel's invocation (see above): a
// multiply-add, the row length being the dispatch's own (num_workgroups).
fn row_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 { return gid.x + gid.y * (nwg.x * PARTICLE_WG); }

// The word of adj_max (the largest node gradient g2p's adjoint scatters, per batch copy) for step s.
// Two per copy, by the step's parity: p2g's adjoint of step s + 1 fills step s's word while that
// same dispatch resets its own (see p2g.adj.wgsl).
fn adj_slot(b: u32, s: u32) -> u32 { return 2u * b + (s & 1u); }

// The adjoint grid's fixed-point scale for a step whose per-particle bound has these float bits
// (fixed_point.wgsl: the headroom is the most stencil weight a node can sum, m_bound / m_min).
fn adj_grid_scale(max_bits: u32) -> f32 { return fp_adj_scale(max_bits, params.m_bound * params.inv_min_mass); }

// The particles of one invocation of a scatter kernel (p2g, g2p's adjoint): [p0, p1) of batch copy
// b, SCATTER_RUN of them (see compose.ts); none (p0 == p1) past the last.
struct ScatterRun { b: u32, p0: u32, p1: u32, nodes_base: u32 }

fn scatter_run(gid: vec3<u32>, nwg: vec3<u32>) -> ScatterRun {
  let run = row_index(gid, nwg);
  let b = gid.z;
  var r: ScatterRun;
  r.b = b;
  r.p0 = min(run * SCATTER_RUN, params.n_particles);
  r.p1 = min(r.p0 + SCATTER_RUN, params.n_particles);
  r.nodes_base = b * params.res.w;
  return r;
}

// The particle of a particle-kernel invocation: p in batch copy b, its record i; ok: p exists.
struct ParticleId { ok: bool, p: u32, b: u32, i: u32 }

fn particle_id(gid: vec3<u32>, nwg: vec3<u32>) -> ParticleId {
  let p = row_index(gid, nwg);
  return ParticleId(p < params.n_particles, p, gid.z, gid.z * params.n_particles + p);
}

// The node of a node-kernel invocation: coordinates, batch copy, and the index of its records.
struct GridNode { ok: bool, node: vecDi, b: u32, ni: u32, i: u32 }

fn grid_node(gid: vec3<u32>, wid: vec3<u32>) -> GridNode {
  var r: GridNode;
  let z = wid.z % params.res.z; // per workgroup, not per lane
  r.b = wid.z / params.res.z;
  r.ok = gid.x < params.res.x && gid.y < params.res.y;
  r.node = node_of(vec3<u32>(gid.x, gid.y, z));
  r.ni = (z * params.res.y + gid.y) * params.res.x + gid.x;
  r.i = r.b * params.res.w + r.ni;
  return r;
}

// The interior g2p clamps positions into along axis d, [dx, (res - 2) dx]: g2p's adjoint finds
// the clamped particles by testing x' against the same floats (g2p_adj_terms.wgsl).
fn x_bounds(d: u32) -> vec2<f32> { return vec2<f32>(params.dx, f32(params.res[d] - 2u) * params.dx); }

fn gravity() -> vecD {
  var g: vecD;
  for (var d = 0u; d < DIM; d++) { g[d] = params.gravity[d]; }
  return g;
}
