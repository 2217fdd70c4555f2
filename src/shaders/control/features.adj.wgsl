// Adjoint of the controller's com and velocity features, item by item: reads g_feat (dL/dfeat)
// and adds m_i / M dL/dcom to item i's x and m_i / M dL/dvel to its v in g_in, which the inner
// simulator's step adjoint has just written in the order of the state at this step (phase and goal
// do not depend on the state). Item i is the user's item order[b][i] where the state is reordered.
@compute @workgroup_size(64)
fn features_adj(@builtin(global_invocation_id) gid: vec3<u32>) {
  let q = gid.x;
  if (q >= B * N) { return; }
  let b = q / N;
  let i = q - b * N;
  let w = mass_fraction(b, i);
  let o = q * STRIDE;
  for (var a = 0u; a < DIM; a++) {
    if (F_COM != NONE) { g_in[o + X_OFF + a] += w * g_feat[b * NF + F_COM + a]; }
    if (F_VEL != NONE) { g_in[o + V_OFF + a] += w * g_feat[b * NF + F_VEL + a]; }
  }
}
