// region-fraction: L_b = 1 - F_b, F_b = sum_k w_k s_k / sum_k w_k, the smooth mass fraction of the
// items inside the box [lo, hi]: s = sigmoid(-sd(x) / width), sd the box's signed distance
// (q = |x - m| - h with centre m and half size h; sd = |max(q, 0)| + min(max_d q_d, 0)).
// Also the exact mass fraction inside (lo <= x <= hi on every axis) and the count of items inside.
// dL/dx_k = (w_k / sum w) s (1 - s) / width dsd/dx: outside (q_d > 0 somewhere) max(q, 0) / |max(q, 0)|
// times sign(x - m); inside, sign(x_e - m_e) on the first axis e of largest q.
// Rows (ROWS = DIM + 4): DIM + 1: w s, DIM + 2: w [inside], DIM + 3: [inside].
// out[b]: 5 the exact fraction, 6 the count inside, 7 F. lp.a: lo, lp.b: hi, lp.c.x: width.

fn sigmoid(z: f32) -> f32 { return 1.0 / (1.0 + exp(-z)); }

struct BoxDistance { sd: f32, dsd: vecD }

fn box_distance(x: vecD) -> BoxDistance {
  var q = vecD();
  var sgn = vecD();
  var out2 = 0.0;
  var e = 0u;
  for (var d = 0u; d < DIM; d++) {
    let m = 0.5 * (lp.a[d] + lp.b[d]);
    q[d] = abs(x[d] - m) - 0.5 * (lp.b[d] - lp.a[d]);
    sgn[d] = select(-1.0, 1.0, x[d] >= m);
    out2 += max(q[d], 0.0) * max(q[d], 0.0);
    if (q[d] > q[e]) { e = d; }
  }
  var r: BoxDistance;
  if (q[e] > 0.0) {
    let len = sqrt(out2);
    r.sd = len;
    for (var d = 0u; d < DIM; d++) { r.dsd[d] = max(q[d], 0.0) / len * sgn[d]; }
  } else {
    r.sd = q[e];
    r.dsd = vecD();
    r.dsd[e] = sgn[e];
  }
  return r;
}

fn inside(x: vecD) -> bool {
  var ok = true;
  for (var d = 0u; d < DIM; d++) { ok = ok && x[d] >= lp.a[d] && x[d] <= lp.b[d]; }
  return ok;
}

@compute @workgroup_size(64)
fn terms_main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= lp.count * lp.batch) { return; }
  let b = i / lp.count;
  let k = i % lp.count;
  let x = load_x(b, k);
  set_com_terms(b, k, x);
  let w = item_data[4u * k];
  let s = sigmoid(-box_distance(x).sd / lp.c.x);
  let hit = select(0.0, 1.0, inside(x));
  set_term(b, DIM + 1u, k, w * s);
  set_term(b, DIM + 2u, k, w * hit);
  set_term(b, DIM + 3u, k, hit);
}

@compute @workgroup_size(64)
fn finish(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  if (b >= lp.batch) { return; }
  finish_com(b);
  let wsum = sum_of(b, DIM);
  let F = sum_of(b, DIM + 1u) / wsum;
  out[b * 8u] = 1.0 - F;
  out[b * 8u + 5u] = sum_of(b, DIM + 2u) / wsum;
  out[b * 8u + 6u] = sum_of(b, DIM + 3u);
  out[b * 8u + 7u] = F;
}

@compute @workgroup_size(64)
fn grad(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= lp.count * lp.batch) { return; }
  let b = i / lp.count;
  let k = i % lp.count;
  let bd = box_distance(load_x(b, k));
  let s = sigmoid(-bd.sd / lp.c.x);
  let f = item_data[4u * k] / out[b * 8u + 4u] * s * (1.0 - s) / lp.c.x;
  add_grad(b, k, f * bd.dsd);
}
