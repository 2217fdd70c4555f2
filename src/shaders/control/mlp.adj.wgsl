// Adjoint of the controller's MLP for one step, after the inner simulator's step adjoint has added
// dL/da (this step's actuation row) into its control gradient g_ctrl. One workgroup per copy:
// recomputes z (mlp.wgsl forward_z), takes dL/da and zeroes it there (the actuation is the
// controller's output, not a parameter: nothing of it may reach the optimizer, nor the next step
// adjoint that shares the row past the horizon), then back through the layers:
//   d_L = dL/da SCALE (1 - tanh^2 z_L),   dL/dW_l += d_{l+1} h_l^T,   dL/db_l += d_{l+1},
//   d_l = (W_l^T d_{l+1}) cos(z_l),       dL/dfeat = W_0^T d_1.
// Every weight's gradient has one writer (its invocation), added to g_w in step order: no atomics.

var<workgroup> d: array<f32, N_UNITS>;

@compute @workgroup_size(64)
fn mlp_adjoint(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = wg.x;
  if (b >= B) { return; }
  forward_z(b, lid);
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
    for (var i = lid; i < nin; i += MWG) {
      var s = 0.0;
      for (var j = 0u; j < nout; j++) { s += weights[w0 + j * nin + i] * d[dout + j]; }
      if (l > 0u) {
        d[U_OFF[l] + i] = s * cos(z[U_OFF[l] + i]) * FAULT;
      } else {
        g_feat[b * NF + i] = s;
      }
    }
    workgroupBarrier();
  }
}
