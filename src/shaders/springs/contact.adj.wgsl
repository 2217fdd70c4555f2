// The self-contact adjoint (vertex i's share of the gather, adjoint.wgsl adj_gather_vertex): the
// penalties are -dE/dx, so (df/dx)^T lam is the derivative of the same forces along lam
// (contact.wgsl and contact.tri.wgsl with `jvp`), over the same pairs in the same order. The
// vertex-vertex pairs come from vv_contact_adjoint: adjoint.split.wgsl reads the list its replay
// kept and searches the grid again only where the list did not fit, adjoint.fused.wgsl searches.

fn contact_lam(b: u32, i: u32) -> vecD { return lam_at(b, i); }

fn self_contact_adjoint(b: u32, i: u32, x: vecD) -> vecD {
  var g = vv_contact_adjoint(b, i, x);
  if (p.sc_tris != 0u) { g += vt_contact_adjoint(b, i, x); }
  return g;
}
