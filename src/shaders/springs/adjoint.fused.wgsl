// The step adjoint of a small system in one dispatch: one workgroup per batch copy, one lane per
// vertex (n <= TW lanes), both halves of adjoint.wgsl with a barrier between them, lam and the
// terms in workgroup memory. Each term is then summed over the vertices as the split path's term
// passes sum it (terms.wgsl: the same partials in the same order, one lane a term) and added to
// grad[b ctrl_size + target]: same terms, same order, so the same bits. No float atomics; a copy
// reads and writes only its own entries.
// The host prepends TW (a power of two >= n), N_TERMS (p.n_terms) and TERM_WORDS (max(N_TERMS, 1) TW).

const LAM_WORDS: u32 = TW * 3u * DIM;
var<workgroup> lam: array<f32, LAM_WORDS>;
var<workgroup> terms: array<f32, TERM_WORDS>;

fn lam_base(b: u32, i: u32) -> u32 { return i * 3u * DIM; }
fn lam_word(k: u32) -> f32 { return lam[k]; }
fn set_lam_word(k: u32, v: f32) { lam[k] = v; }
fn term_index(b: u32, q: u32, i: u32) -> u32 { return q * TW + i; }

// The elements and the self-contact neighbours, recomputed per vertex (a few dozen vertices: no
// per-element passes, no lists kept); the split path reads them from its per-element passes
// (shell.adj.wgsl's functions either way, so the same bits).
fn shell_force(b: u32, e: u32) -> vecD {
  let a = adj_entry(e);
  if (a.kind == 1u) { return tri_force(b, a.k, a.slot); }
  return hinge_force(b, a.k, a.slot);
}
fn shell_share(b: u32, e: u32, a: AdjEntry) -> ShellShare {
  if (a.kind == 1u) { return tri_share(b, a.k, a.slot); }
  return hinge_share(b, a.k, a.slot);
}
fn next_v(b: u32, i: u32) -> vecD {
  let o = (b * p.n + i) * STRIDE + DIM;
  var r: vecD;
  for (var a = 0u; a < DIM; a++) { r[a] = s_next[o + a]; }
  return r;
}
fn vertex_idle(b: u32, i: u32, row: u32) -> bool { return contacts_idle(b, x_at(b, i), next_v(b, i), row); }
fn keep_neighbour(b: u32, i: u32, q: u32, j: u32) {}
fn keep_neighbour_count(b: u32, i: u32, n: u32) {}
fn note_pairs(b: u32) {}
fn vv_contact_adjoint(b: u32, i: u32, x: vecD) -> vecD { return vv_contact(b, i, x, true); }

@compute @workgroup_size(TW)
fn adj_fused(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) i: u32) {
  let b = wg.x;
  let gi = b * p.n + i;
  let row = st.row;
  let live = i < p.n;
  if (live) {
    _ = adj_lambda_vertex(b, i, gi, row);
  }
  workgroupBarrier();
  if (live) {
    adj_gather_vertex(b, i, gi, row);
  }
  workgroupBarrier();
  for (var q = i; q < N_TERMS; q += TW) {
    var s = 0.0;
    for (var j = 0u; j < TERM_LANES; j++) { s += term_partial(b, q, j); }
    let o = b * p.ctrl_size + term_target(q, row);
    grad[o] = grad[o] + s;
  }
}
