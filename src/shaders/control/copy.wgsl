// dst[i] = src[i] for i < COPY_N: the inner simulator's control gradient into the head of the
// controlled simulator's (controlled-sim.ts encodeFinishAdjoint). A fixed number of workgroups,
// each striding over the record.
@compute @workgroup_size(64)
fn copy_grad(@builtin(global_invocation_id) gid: vec3<u32>) {
  for (var i = gid.x; i < COPY_N; i += 64u * COPY_GROUPS) { dst[i] = src[i]; }
}
