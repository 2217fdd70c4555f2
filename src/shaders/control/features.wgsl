// Controller features of one batch copy, computed by its workgroup at the head of the controller's
// kernels (mlp.wgsl, mlp.adj.wgsl): reads s_in (items' x and v), the mass fractions and initial
// centre of mass (model), the goal, and where the inner simulator reorders its items the state's
// order (`mass_fraction` reads item p's fraction at the user's index order[b][p]: controlled-sim.ts);
// leaves the features in z[0..NF) (mlp_common.wgsl), h_0 of the MLP:
// com - com0, mass-weighted mean velocity, sin and cos of 2 pi fract(t dt / period) per period,
// the goal scaled as (goal - GOAL_SHIFT) GOAL_SCALE (controller.ts's goalNorm). The mass-weighted
// sums run in a fixed order (a strided loop per invocation, then a tree), so a copy's features are
// the same bytes whatever the batch.

const SUMS: u32 = 2u * DIM;
var<workgroup> part: array<f32, 384>; // MWG x SUMS (DIM <= 3)

fn features_into_z(b: u32, lid: u32) {
  var acc: array<f32, 6>;
  for (var i = lid; i < N; i += MWG) {
    let w = mass_fraction(b, i);
    let o = (b * N + i) * STRIDE;
    for (var a = 0u; a < DIM; a++) {
      acc[a] += w * s_in[o + X_OFF + a];
      if (V_OFF != NONE) { acc[DIM + a] += w * s_in[o + V_OFF + a]; }
    }
  }
  for (var k = 0u; k < SUMS; k++) { part[lid * SUMS + k] = acc[k]; }
  workgroupBarrier();
  for (var s = MWG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      for (var k = 0u; k < SUMS; k++) { part[lid * SUMS + k] += part[(lid + s) * SUMS + k]; }
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    for (var a = 0u; a < DIM; a++) {
      if (F_COM != NONE) { z[F_COM + a] = part[a] - model[N + b * DIM + a]; }
      if (F_VEL != NONE) { z[F_VEL + a] = part[DIM + a]; }
    }
    for (var k = 0u; k < N_PHASE; k++) {
      let ph = 6.283185307179586 * fract(f32(st.t) * PHASE_RATE[k]);
      z[F_PHASE + 2u * k] = sin(ph);
      z[F_PHASE + 2u * k + 1u] = cos(ph);
    }
    for (var k = 0u; k < N_GOAL; k++) { z[F_GOAL + k] = (goal[b * N_GOAL + k] - GOAL_SHIFT[k]) * GOAL_SCALE[k]; }
  }
  workgroupBarrier();
}
