// Which free vertices' step adjoints skip the replay: the adjoint module's adj_lambda and, with
// triangles or hinges, adj_grid_count_near (adjoint.pre.wgsl) judge with the same function. The host prepends
// REPLAY_SKIP (SpringSim ReplaySkip: 0 never, 1 idle vertices, 2 also lightly acting ones: wrong).

/**
 * Whether no contact acted on free vertex i in the forward step, judged from x and the velocity
 * vn it left with (next_v), so that its adjoint can skip the replay. A contact acts only where its
 * gap phi + dt (w - V).n is below zero, and then leaves the gap at most zero (soft(z) < z for z > 0);
 * the contacts after the last one to act change w by rounding only. So gaps at vn all clear of
 * zero, by the contact's softness plus a margin over that rounding, mean none acted: each
 * soft_contact_adj is then the identity (delta = 0, soft_grad = 0) but for the sign of zeros.
 * A crisp contact (softness 0) leaves its gap at zero but for rounding, which the margin must
 * exceed: that of vn (about 2^-24 of |V| and of the normal speed the contact cancelled, which the
 * forces set and vn does not show) is under 1e-6 |x| unless a step moves the vertex several times
 * its coordinates; a margin of 1e-5 (|phi| + dt |u|) alone let a vertex stuck to a moving ball
 * (u ~ 0, |V| = 0.3) pass as idle, and its gradient lost the contact.
 */
fn contacts_idle(b: u32, x: vecD, vn: vecD, row: u32) -> bool {
  if (REPLAY_SKIP == 0u) { return false; }
  if (p.has_ground != 0u && !gap_clear(x, x[1] - p.ground_h, vn, vecD(0.0), ground_normal(), p.ground_soft)) { return false; }
  for (var c = 0u; c < p.n_col; c++) {
    let s = collider_sdf(collider(b, c, row), x);
    if (!gap_clear(x, s.phi, vn, s.vs, s.n, p.col_soft)) { return false; }
  }
  return true;
}
fn gap_clear(x: vecD, phi: f32, vn: vecD, V: vecD, n: vecD, kappa: f32) -> bool {
  let u = vn - V;
  if (REPLAY_SKIP == 2u) { return phi + p.dt * dot(u, n) > -kappa; }
  return phi + p.dt * dot(u, n) > kappa + 1e-5 * (abs(phi) + p.dt * length(u)) + 1e-6 * length(x);
}
