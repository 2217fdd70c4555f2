// match-pairs: L_b = (1 / m) sum_p |x_a(p) - x_b(p)|^2, the mean squared distance between the two
// items of each of m pairs (a cloth's corners and the corners they are folded onto). The items are
// listed a's first, then b's (count = 2m); item_data[4k + 1] is item k's partner in that list, and
// item_data[4k + 2] is 1 for the a's (each pair's term is counted once). Every item is listed once,
// so each grad thread owns its item: dL/dx_k = 2 (x_k - x_partner) / m.
// Rows (ROWS = DIM + 2): DIM + 1: the pair's |x_a - x_b|^2 (zero for the b's).

fn partner(k: u32) -> u32 {
  return u32(item_data[4u * k + 1u]);
}

@compute @workgroup_size(64)
fn terms_main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= lp.count * lp.batch) { return; }
  let b = i / lp.count;
  let k = i % lp.count;
  let x = load_x(b, k);
  set_com_terms(b, k, x);
  let r = x - load_x(b, partner(k));
  set_term(b, DIM + 1u, k, item_data[4u * k + 2u] * dot(r, r));
}

@compute @workgroup_size(64)
fn finish(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  if (b >= lp.batch) { return; }
  finish_com(b);
  let L = sum_of(b, DIM + 1u) / f32(lp.count / 2u);
  out[b * 8u] = L;
  out[b * 8u + 5u] = sqrt(L);
}

@compute @workgroup_size(64)
fn grad(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= lp.count * lp.batch) { return; }
  let b = i / lp.count;
  let k = i % lp.count;
  add_grad(b, k, 4.0 * (load_x(b, k) - load_x(b, partner(k))) / f32(lp.count));
}
