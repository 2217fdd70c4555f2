// The controller's MLP, shared by its forward and adjoint: one workgroup per batch copy computes
// every layer's pre-activations z into workgroup memory, layer after layer (z[0..NF): the features),
//   z_{l+1} = W_l h_l + b_l,   h_0 = features,   h_l = sin(z_l) for the hidden layers,
// (sin activations as in Complex Locomotion, Fang et al. 2022) and the actuation
// a = SCALE tanh(z_L). Weights of copy b: weights[b * NW + W_OFF[l] ..], [out][in] row-major, then
// the biases.

const MWG: u32 = 64u;
var<workgroup> z: array<f32, N_UNITS>;

fn h_at(l: u32, i: u32) -> f32 {
  let v = z[U_OFF[l] + i];
  if (l == 0u) { return v; }
  return sin(v);
}

/** tanh without overflow for large |x| (as the reference's tanhRef). */
fn tanh_safe(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  return sign(x) * ((1.0 - e) / (1.0 + e));
}

/** The layers after the features, which z[0..NF) holds (features.wgsl features_into_z). */
fn forward_layers(b: u32, lid: u32) {
  for (var l = 0u; l < NL; l++) {
    let nin = SIZES[l];
    let nout = SIZES[l + 1u];
    let w0 = b * NW + W_OFF[l];
    for (var j = lid; j < nout; j += MWG) {
      var s = weights[w0 + nin * nout + j];
      for (var i = 0u; i < nin; i++) { s += weights[w0 + j * nin + i] * h_at(l, i); }
      z[U_OFF[l + 1u] + j] = s;
    }
    workgroupBarrier();
  }
}

fn act_index(b: u32, c: u32) -> u32 {
  return ACT_OFF + b * ACT_COPY + st.row * A + c;
}
