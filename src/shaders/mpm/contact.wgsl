// Grid-node contact with walls, the ground and kinematic colliders, and the adjoints.
// contact(): relative velocity v against a surface with outward normal n and Coulomb friction mu:
// if v.n < 0 the normal part is removed and the tangential part shrinks by mu |v.n|
// (separating contact, as in the MLS-MPM and ChainQueen grid operators).

// Without friction the tangential part passes whatever its length, also at zero (a body at rest
// on a frictionless wall); only friction needs |vt| (and sticks below mu |v.n|).
fn contact(v: vecD, n: vecD, mu: f32) -> vecD {
  let vn = dot(v, n);
  if (vn >= 0.0) { return v; }
  let vt = v - vn * n;
  if (mu == 0.0) { return vt; }
  let lt = length(vt);
  if (lt <= 1e-20) { return vecD(0.0); }
  return vt * max(0.0, 1.0 + mu * vn / lt);
}

struct ContactAdj { gv: vecD, gn: vecD }

// Given g = dL/d(contact output), gradients w.r.t. v and n. Derivation (approaching, s > 0): the
// output is s vt with vt = v - vn n, vn = v.n, s = 1 + mu vn / |vt|. Then
//   d(out) = s d(vt) + vt ds,  ds = mu (d(vn) / |vt| - vn (vt . d(vt)) / |vt|^3),
//   d(vt) = dv - d(vn) n - vn dn,  d(vn) = n . dv + v . dn;
// so with a = g . vt, g . d(out) = h . d(vt) + (a mu / |vt|) d(vn), h = s g - (a mu vn / |vt|^3) vt,
// and collecting dv and dn: dL/dv = k n + h, dL/dn = k v - vn h, k = a mu / |vt| - h . n.
// At vn = 0 exactly (a node at rest beside a static wall or collider face: gravity has no normal
// part there) the output is v on both sides but its derivative is not: the mean of the two, which
// is what central differences see, as for a normal's kink (rounded_box_sdf).
fn contact_adj(v: vecD, n: vecD, mu: f32, g: vecD) -> ContactAdj {
  let vn = dot(v, n);
  if (vn > 0.0) { var r: ContactAdj; r.gv = g; return r; }
  var r = contact_adj_approaching(v, n, mu, g);
  if (vn == 0.0) { r.gv = 0.5 * (r.gv + g); r.gn = 0.5 * r.gn; }
  return r;
}

fn contact_adj_approaching(v: vecD, n: vecD, mu: f32, g: vecD) -> ContactAdj {
  var r: ContactAdj;
  let vn = dot(v, n);
  let vt = v - vn * n;
  if (mu == 0.0) {
    // out = vt: the general case with s = 1, a mu = 0 (h = g), which would divide by |vt|
    let k0 = -dot(g, n);
    r.gv = k0 * n + g;
    r.gn = k0 * v - vn * g;
    return r;
  }
  let lt = length(vt);
  let s = 1.0 + mu * vn / lt;
  if (lt <= 1e-20 || s <= 0.0) { return r; }
  let a = dot(g, vt);
  let h = s * g - (a * mu * vn / (lt * lt * lt)) * vt;
  let k = a * mu / lt - dot(h, n);
  r.gv = k * n + h;
  r.gn = k * v - vn * h;
  return r;
}

// Signed distance to a rounded box centred at the origin, its outward normal and the normal's
// Jacobian (zero inside the core box, where the normal is piecewise constant). Inside the core the
// normal is along the nearest face, a later axis taking it only where it is nearer by more than
// `tie`: two faces at the same distance (a node on the box's diagonal plane) then give the first
// axis whatever the rounding; and so it is within `tie` outside the core, where the direction from
// the core is rounding (a node at a sphere's centre). `kink`: how far from a face of the core a
// node counts as on it in the Jacobian (below).
struct Sdf { phi: f32, n: vecD, dn: matD }

fn rounded_box_sdf(p: vecD, h: vecD, r: f32, tie: f32, kink: f32) -> Sdf {
  var o: Sdf;
  let q = abs(p) - h;
  let m = max(q, vecD(0.0));
  let lm = length(m);
  var qmax = q[0];
  var kmax = 0u;
  for (var i = 1u; i < DIM; i++) { if (q[i] > qmax + tie) { qmax = q[i]; kmax = i; } }
  o.phi = lm + min(qmax, 0.0) - r;
  let sgn = select(vecD(-1.0), vecD(1.0), p >= vecD(0.0));
  if (lm > max(tie, 1e-12)) {
    o.n = sgn * m / lm;
    // dn/dp = (I - n n^T) diag(a) / |m|, a_i = d(sgn_i m_i)/dp_i: 1 outside the core's slab of
    // axis i (q_i > 0), 0 inside it. On an axis of zero extent (h_i = 0: a sphere, a capsule's
    // round axes) sgn_i m_i = p_i is smooth through p_i = 0, so a_i = 1 there too: a node at local
    // coordinate exactly 0 keeps its column. On a face of the core (q_i = 0 < h_i: a box's face, a
    // capsule's seam) the normal has a real kink; a_i = 1/2, the mean of its two sides, is what
    // central differences see there. Within `kink` of the face counts as on it: a collider at
    // round numbers puts nodes there, on one side or the other as float32 rounds. Only that
    // rounding: a node a moving face has not reached is beside the kink, not on it, and central
    // differences see its one side (with `tie`, 2^-10 dx, as wide as the contact's margin, a face
    // moving 0.013 cells a step took the mean at a node 6.4e-4 cells off it: gradcheck 2-50% off).
    var act: matD;
    for (var i = 0u; i < DIM; i++) {
      if (h[i] == 0.0 || q[i] > kink) { act[i][i] = 1.0; } else if (q[i] >= -kink) { act[i][i] = 0.5; }
    }
    o.dn = (ident() - outer(o.n, o.n)) * act * (1.0 / lm);
  } else {
    // a coordinate within `tie` of 0 (a node at a sphere's centre) counts as positive, whatever the rounding
    o.n[kmax] = select(-1.0, 1.0, p[kmax] >= -tie);
  }
  return o;
}
