// Centre-of-mass losses (com-target, com-travel, com-speed), per batch copy b:
//   L_b = sum_d quad_d (c_d - g_d)^2 + lin_d (c_d - g_d),  c = sum_k w_k x_k / sum_k w_k,
// with g = goal + copy_data[b] (com-target: quad = 1, lin = 0, g = target; com-travel: quad = 0,
// lin = -direction along the axis, g = the copy's initial centre of mass, so L = -displacement;
// com-speed: quad = 1 / D^2 on the axis, g = c0 + s_b D, so L = ((c - c0) / D - s_b)^2, the mean
// speed over the rollout's duration D against copy b's commanded speed s_b).
// dL/dx_k = (2 quad (c - g) + lin) w_k / sum w. Bindings and rows: common.wgsl (ROWS = DIM + 1).
// lp.a: goal, lp.b: quad, lp.c: lin.

fn goal(b: u32) -> vecD {
  var g = vecD();
  for (var d = 0u; d < DIM; d++) { g[d] = lp.a[d] + copy_data[4u * b + d]; }
  return g;
}

@compute @workgroup_size(64)
fn terms_main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= lp.count * lp.batch) { return; }
  let b = i / lp.count;
  let k = i % lp.count;
  set_com_terms(b, k, load_x(b, k));
}

@compute @workgroup_size(64)
fn finish(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  if (b >= lp.batch) { return; }
  let c = finish_com(b);
  let g = goal(b);
  var L = 0.0;
  for (var d = 0u; d < DIM; d++) {
    L += lp.b[d] * (c[d] - g[d]) * (c[d] - g[d]) + lp.c[d] * (c[d] - g[d]);
  }
  out[b * 8u] = L;
}

@compute @workgroup_size(64)
fn grad(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= lp.count * lp.batch) { return; }
  let b = i / lp.count;
  let k = i % lp.count;
  let wsum = out[b * 8u + 4u];
  let g = goal(b);
  var gx = vecD();
  for (var d = 0u; d < DIM; d++) {
    gx[d] = (2.0 * lp.b[d] * (out[b * 8u + 1u + d] - g[d]) + lp.c[d]) * item_data[4u * k] / wsum;
  }
  add_grad(b, k, gx);
}
