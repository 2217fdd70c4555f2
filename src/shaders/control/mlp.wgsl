// The controller's forward for one step: reads feat and weights; writes a = SCALE tanh(z_L) into
// the inner simulator's control record at this step's actuation row
// (ctrl[ACT_OFF + b * ACT_COPY + row * A + c]), which the inner step then reads.
@compute @workgroup_size(64)
fn mlp_forward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = wg.x;
  if (b >= B) { return; }
  forward_z(b, lid);
  for (var c = lid; c < A; c += MWG) { ctrl[act_index(b, c)] = SCALE * tanh_safe(z[U_OFF[NL] + c]); }
}
