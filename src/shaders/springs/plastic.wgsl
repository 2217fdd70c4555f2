// Plastic bending, per hinge: the rest angle follows the angle where they differ by more than the
// yield angle Y: rest' = theta - clamp(theta - rest, -Y, Y) (theta at step t; the difference the
// short way round, hinge_bend).
@compute @workgroup_size(64)
fn plastic(@builtin(global_invocation_id) gid: vec3<u32>) {
  let gi = gid.x;
  if (gi >= p.n_hinges * p.batch) { return; }
  let b = gi / p.n_hinges;
  let k = gi - b * p.n_hinges;
  let h = hinge_rec(k);
  let r = hinge_rest(b, k, h);
  let Y = mf(p.hinge_off + k * HINGE_WORDS + 7u);
  var out = r;
  let x = hinge_x(b, h);
  if (Y > 0.0 && !hinge_collapsed(x)) {
    let th = hinge_theta(x);
    out = th - clamp(hinge_bend(th, r), -Y, Y);
  }
  s_out[p.tail_off + gi] = out;
}
