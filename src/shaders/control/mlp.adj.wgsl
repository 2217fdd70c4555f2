// Adjoint of the controller for one step, after the inner simulator's step adjoint has added dL/da
// (this step's actuation row) into its control gradient g_ctrl and dL/d(state at step) into g_in.
// One workgroup per copy: recomputes the features of s_in and z (features.wgsl, mlp_common.wgsl),
// takes dL/da and zeroes it there (the actuation is the controller's output, not a parameter:
// nothing of it may reach the optimizer, nor the next step adjoint that shares the row past the
// horizon), then back through the layers:
//   d_L = dL/da SCALE (1 - tanh^2 z_L),   dL/dW_l += d_{l+1} h_l^T,   dL/db_l += d_{l+1},
//   d_l = (W_l^T d_{l+1}) cos(z_l),       dL/dfeat = W_0^T d_1,
// and last the com and velocity features' adjoint, item by item: m_i / M dL/dcom onto item i's x
// and m_i / M dL/dvel onto its v in g_in (phase and goal do not depend on the state). Every weight's
// gradient and every item's has one writer (its invocation), added in step order: no atomics.

var<workgroup> d: array<f32, N_UNITS>;

@compute @workgroup_size(64)
fn control_adjoint(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = wg.x;
  if (b >= B) { return; }
  features_into_z(b, lid);
  forward_layers(b, lid);
  for (var c = lid; c < A; c += MWG) {
    let k = act_index(b, c);
    let t = tanh_safe(z[U_OFF[NL] + c]);
    d[U_OFF[NL] + c] = g_ctrl[k] * SCALE * (1.0 - t * t);
    g_ctrl[k] = 0.0;
  }
  workgroupBarrier();
  for (var r = 0u; r < NL; r++) {
    let l = NL - 1u - r;
    let nin = SIZES[l];
    let nout = SIZES[l + 1u];
    let w0 = b * NW + W_OFF[l];
    let dout = U_OFF[l + 1u];
    for (var e = lid; e < nin * nout + nout; e += MWG) {
      var g: f32;
      if (e < nin * nout) {
        let j = e / nin;
        g = d[dout + j] * h_at(l, e - j * nin);
      } else {
        g = d[dout + e - nin * nout];
      }
      g_w[G_W_OFF + w0 + e] += g;
    }
    // d_l, or at l = 0 dL/dfeat (into d[0..NF), which no layer's d uses)
    for (var i = lid; i < nin; i += MWG) {
      var s = 0.0;
      for (var j = 0u; j < nout; j++) { s += weights[w0 + j * nin + i] * d[dout + j]; }
      if (l > 0u) { s = s * cos(z[U_OFF[l] + i]) * FAULT; }
      d[U_OFF[l] + i] = s;
    }
    workgroupBarrier();
  }
  for (var i = lid; i < N; i += MWG) {
    let w = mass_fraction(b, i);
    let o = (b * N + i) * STRIDE;
    for (var a = 0u; a < DIM; a++) {
      if (F_COM != NONE) { g_in[o + X_OFF + a] += w * d[F_COM + a]; }
      if (F_VEL != NONE) { g_in[o + V_OFF + a] += w * d[F_VEL + a]; }
    }
  }
}
