// The controller's forward for one step, one workgroup per copy: the features of s_in
// (features.wgsl), the MLP, and a = SCALE tanh(z_L) written into the inner simulator's control
// record at this step's actuation row (ctrl[ACT_OFF + b * ACT_COPY + row * A + c]), which the
// inner step then reads. The features also go to feat[b][NF] (ControlledSim.readFeatures).
@compute @workgroup_size(64)
fn control_forward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = wg.x;
  if (b >= B) { return; }
  features_into_z(b, lid);
  for (var i = lid; i < NF; i += MWG) { feat[b * NF + i] = z[i]; }
  forward_layers(b, lid);
  for (var c = lid; c < A; c += MWG) { ctrl[act_index(b, c)] = SCALE * tanh_safe(z[U_OFF[NL] + c]); }
}
