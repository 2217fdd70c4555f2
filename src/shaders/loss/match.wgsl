// match-positions: L_b = (1 / count) sum_k |x_k - y_k|^2, the mean squared distance of the listed
// items to observed positions y (item_data[4k + 1 ..]); dL/dx_k = 2 (x_k - y_k) / count.
// Rows (ROWS = DIM + 2): DIM + 1: |x - y|^2.

fn observed(k: u32) -> vecD {
  var y = vecD();
  for (var d = 0u; d < DIM; d++) { y[d] = item_data[4u * k + 1u + d]; }
  return y;
}

@compute @workgroup_size(64)
fn terms_main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= lp.count * lp.batch) { return; }
  let b = i / lp.count;
  let k = i % lp.count;
  let x = load_x(b, k);
  set_com_terms(b, k, x);
  let r = x - observed(k);
  set_term(b, DIM + 1u, k, dot(r, r));
}

@compute @workgroup_size(64)
fn finish(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  if (b >= lp.batch) { return; }
  finish_com(b);
  out[b * 8u] = sum_of(b, DIM + 1u) / f32(lp.count);
}

@compute @workgroup_size(64)
fn grad(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= lp.count * lp.batch) { return; }
  let b = i / lp.count;
  let k = i % lp.count;
  add_grad(b, k, 2.0 * (load_x(b, k) - observed(k)) / f32(lp.count));
}
