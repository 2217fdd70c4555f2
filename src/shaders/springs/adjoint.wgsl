// The adjoint of step.wgsl for one vertex, in two halves. With G = dL/dv' + dt dL/dx' the total
// gradient of a free vertex's new velocity:
// adj_lambda_vertex: replays the forward (forces, v*, the contacts in order), runs the contacts
//   backwards to dL/dv*, and stores lam_i = exp(-damping dt) dt / m_i dL/dv* (the force's adjoint
//   vector), the direct parts of dL/dx (dL/dx' and the contact normals' and distances' terms) and
//   of dL/dv; collider and gripper track terms go to `terms`.
// adj_gather_vertex: dL/dx_i = direct + sum_e (df_e/dx_i)^T lam over i's elements (the JVP of
//   the elastic forces along lam, the damping transpose written out), dL/dv_i likewise, and the
//   material and actuation terms lam_i . df_i/dtheta.
// The gather reads the lam of i's neighbours, so every lambda half comes before any gather. Where
// lam and terms live, and where the elements' shares come from, is the entry points' business
// (lam_base, term_index, shell_force, shell_share, vv_contact_adjoint): adjoint.split.wgsl (storage
// buffers, one pass per half, each triangle and hinge computed once per pass into per-entry slots,
// adjoint.terms.wgsl sums the terms) or adjoint.fused.wgsl (workgroup memory, one workgroup per batch
// copy, the elements recomputed per vertex).
// terms[term_index(b, q, i)]: vertex i's share of control entry q (see SpringSim), summed in
// vertex order afterwards.

fn lam_at(b: u32, i: u32) -> vecD {
  let o = lam_base(b, i);
  var r: vecD;
  for (var a = 0u; a < DIM; a++) { r[a] = lam_word(o + a); }
  return r;
}
fn gout(gi: u32, part: u32) -> vecD {
  var r: vecD;
  for (var a = 0u; a < DIM; a++) { r[a] = g_out[gi * STRIDE + part * DIM + a]; }
  return r;
}
fn term_act() -> u32 { return 5u * p.n_mat; }


const MAX_CONTACTS: u32 = 5u; // the ground and up to four colliders

/** Vertex i of copy b (gi = b n + i): lam, the direct gradients and the track terms; whether it replayed the step. */
fn adj_lambda_vertex(b: u32, i: u32, gi: u32, row: u32) -> bool {
  var replayed = false;
  let fl = vflag(i);
  let gx1 = gout(gi, 0u);
  let gv1 = gout(gi, 1u);
  var lam_i = vecD(0.0);
  var gx = gx1;
  var gv = vecD(0.0);
  for (var c = 0u; c < p.n_col; c++) {
    for (var a = 0u; a < COL_ROW; a++) { terms[term_index(b, p.term_col + c * COL_ROW + a, i)] = 0.0; }
  }
  for (var g = 0u; g < p.n_grip; g++) {
    for (var a = 0u; a < DIM; a++) { terms[term_index(b, p.term_grip + g * DIM + a, i)] = 0.0; }
  }
  if (fl >= FLAG_GRIPPER) {
    let g = fl - FLAG_GRIPPER;
    for (var a = 0u; a < DIM; a++) { terms[term_index(b, p.term_grip + g * DIM + a, i)] = gx1[a] + gv1[a] / p.dt; }
    gx = -gv1 / p.dt;
  } else if (fl == FLAG_FREE && vertex_idle(b, i, row)) {
    // no contact acted: their adjoints are the identity, so v* and the forces are not needed
    let G = gv1 + p.dt * gx1;
    lam_i = (p.decay * p.dt * vinv_mass(i)) * G;
    gv = p.decay * G;
  } else if (fl == FLAG_FREE) {
    replayed = true;
    let x = x_at(b, i);
    let v = v_at(b, i);
    // replay: the velocity entering each contact
    var ws: array<vecD, MAX_CONTACTS>;
    var skipped = 0u;
    var w = p.decay * (v + p.dt * (vinv_mass(i) * vertex_force(b, i, x, v, row, &skipped) + gravity()));
    var k = 0u;
    if (p.has_ground != 0u) {
      ws[k] = w;
      k++;
      w = soft_contact(w, vecD(0.0), x[1] - p.ground_h, ground_normal(), p.ground_mu, p.ground_soft);
    }
    for (var c = 0u; c < p.n_col; c++) {
      ws[k] = w;
      k++;
      let col = collider(b, c, row);
      let s = collider_sdf(col, x);
      w = soft_contact(w, s.vs, s.phi, s.n, col.mu, p.col_soft);
    }
    // backwards through the contacts
    var G = gv1 + p.dt * gx1;
    for (var cc = p.n_col; cc > 0u; cc--) {
      let c = cc - 1u;
      k--;
      let col = collider(b, c, row);
      let s = collider_sdf(col, x);
      let r = soft_contact_adj(ws[k], s.vs, s.phi, s.n, col.mu, p.col_soft, G);
      // the surface velocity vel + w x d (d = x - pos); phi and n = R n_l through the body-frame
      // point R^T d: dL/dR = gn n_l^T + d gp^T (MPM's grid_contacts_adj)
      let d = x - col.pos;
      let sa = spin_adj(col.w, d, r.gV);
      let gp = r.gphi * s.body.n + transpose(s.body.dn) * (transpose(col.rot) * r.gn);
      let gxc = p.fault * (col.rot * gp + sa.gr);
      gx += gxc;
      let go = p.fault * rotation_adj(col.o, outer(r.gn, s.body.n) + outer(d, gp));
      let t = p.term_col + c * COL_ROW;
      for (var a = 0u; a < DIM; a++) {
        terms[term_index(b, t + a, i)] = -gxc[a];
        terms[term_index(b, t + DIM + a, i)] = r.gV[a];
      }
      for (var a = 0u; a < ORIENT_COMPS; a++) { terms[term_index(b, t + 2u * DIM + a, i)] = go[a]; }
      for (var a = 0u; a < SPIN_COMPS; a++) { terms[term_index(b, t + 2u * DIM + ORIENT_COMPS + a, i)] = p.fault * sa.gw[a]; }
      G = r.gw;
    }
    if (p.has_ground != 0u) {
      let r = soft_contact_adj(ws[0], vecD(0.0), x[1] - p.ground_h, ground_normal(), p.ground_mu, p.ground_soft, G);
      gx[1] += r.gphi;
      G = r.gw;
    }
    lam_i = (p.decay * p.dt * vinv_mass(i)) * G;
    gv = p.decay * G;
  }
  let o = lam_base(b, i);
  for (var a = 0u; a < DIM; a++) {
    set_lam_word(o + a, lam_i[a]);
    set_lam_word(o + DIM + a, gx[a]);
    set_lam_word(o + 2u * DIM + a, gv[a]);
  }
  return replayed;
}

/**
 * A triangle's or hinge's share of its vertex's gather at adjacency entry e: g into dL/dx, and its
 * material m's terms t (mu, lambda, bending: fields 2, 3, 4; zero where the element has none, an
 * exact no-op on a sum that starts at +0) from shell_share (adjoint.split.wgsl: the per-element
 * pass's slots; adjoint.fused.wgsl: recomputed).
 */
struct ShellShare { g: vecD, m: u32, t: vec3<f32> }
const NO_MAT: u32 = 0xffffffffu;
fn shell_terms_load(b: u32, i: u32, m: u32) -> vec3<f32> {
  var t: vec3<f32>;
  for (var f = 0u; f < 3u; f++) { t[f] = terms[term_index(b, m * 5u + 2u + f, i)]; }
  return t;
}
fn shell_terms_store(b: u32, i: u32, m: u32, t: vec3<f32>) {
  if (m == NO_MAT) { return; }
  for (var f = 0u; f < 3u; f++) { terms[term_index(b, m * 5u + 2u + f, i)] = t[f]; }
}

/** Vertex i of copy b (gi = b n + i): dL/d(x, v) into g_in, the material and actuation terms. */
fn adj_gather_vertex(b: u32, i: u32, gi: u32, row: u32) {
  let o = lam_base(b, i);
  var li: vecD;
  var gx: vecD;
  var gv: vecD;
  for (var a = 0u; a < DIM; a++) { li[a] = lam_word(o + a); gx[a] = lam_word(o + DIM + a); gv[a] = lam_word(o + 2u * DIM + a); }
  for (var q = 0u; q < term_act() + p.n_chan; q++) { terms[term_index(b, q, i)] = 0.0; }
  let x = x_at(b, i);
  let v = v_at(b, i);
  let range = vadj(i);
  var sm = NO_MAT;
  var st = vec3<f32>(0.0);
  for (var e = range.x; e < range.y; e++) {
    let a = adj_entry(e);
    let slot = a.slot;
    let k = a.k;
    if (a.kind == 0u) {
      let sv = spring_view(b, k, slot, x, v, row);
      let m = spring_rec(k).mat;
      let mu = lam_at(b, sv.other) - li;
      let dh = sv.d / sv.l;
      // elastic: K mu, K = k ((1/L - 1/l) I + d d^T / l^3) (symmetric)
      gx += p.fault * sv.k * ((1.0 / sv.L - 1.0 / sv.l) * mu + (dot(sv.d, mu) / (sv.l * sv.l * sv.l)) * sv.d);
      // damping c (dv . d^) d^: its d-Jacobian transposed, Q = I - d^ d^T
      let dvn = dot(sv.dv, dh);
      gx += (sv.c / sv.l) * (dot(dh, mu) * (sv.dv - dvn * dh) + dvn * (mu - dot(dh, mu) * dh));
      gv += sv.c * dot(dh, mu) * dh;
      let lf = dot(li, dh);
      terms[term_index(b, m * 5u, i)] += lf * (sv.l / sv.L - 1.0);
      terms[term_index(b, m * 5u + 1u, i)] += lf * dvn;
      if (sv.chan >= 0) {
        terms[term_index(b, term_act() + u32(sv.chan), i)] += lf * (-sv.k * sv.l / (sv.L * sv.L) * sv.rest0 * p.act_strength);
      }
    } else {
      // a triangle's or hinge's share; its terms summed in registers over a run of entries of one material
      let sh = shell_share(b, e, a);
      gx += sh.g;
      if (sh.m != sm) {
        shell_terms_store(b, i, sm, st);
        sm = sh.m;
        st = shell_terms_load(b, i, sm);
      }
      st += sh.t;
    }
  }
  shell_terms_store(b, i, sm, st);
  if (p.self_contact != 0u) { gx += self_contact_adjoint(b, i, x); }
  for (var a = 0u; a < DIM; a++) {
    g_in[gi * STRIDE + a] = gx[a];
    g_in[gi * STRIDE + DIM + a] = gv[a];
  }
}
