// Nodes where the adjoint takes the mean of a collider normal's two sides: covered, in the rounding
// shell (outside the core, so the normal turns with the node's local position), and within float32
// rounding of a face of the core (a box's face, a capsule's seam), where the normal has a kink
// (rounded_box_sdf in contact.wgsl; the band: kink_band in grid_contacts.wgsl). Central differences
// straddle such a kink or not depending on their step along each entry, so they see the mean, one
// side or a mix: the gradient check reports what they disagree on there as a kink, naming the node.
import { CONTACT_TIE, KINK_ROUNDING, sdfInto } from './contact';
import { loadCollider, type RefModel } from './ref-model';
import { rotation } from './small-matrix';
import { nodeCoord } from './step';

export interface KinkNode {
  collider: number;
  step: number;
  /** Integer node coordinates. */
  node: number[];
}

/** The kink nodes among `nodes` (indices) at `step`, for every collider. */
export function kinkNodesAt(model: RefModel, step: number, nodes: ArrayLike<number>): KinkNode[] {
  const d = model.dim, tie = CONTACT_TIE * model.dx, out: KinkNode[] = [];
  const r = new Float64Array(d), p = new Float64Array(d), q = new Float64Array(d), n = new Float64Array(d);
  for (let k = 0; k < model.nColliders; k++) {
    const col = loadCollider(model, k, step), R = rotation(d, col.o);
    if (col.h.every((h) => h === 0)) continue; // a sphere: no face
    const cL1 = col.c.reduce((a, x) => a + Math.abs(x), 0);
    for (let j = 0; j < nodes.length; j++) {
      const node = nodeCoord(model, nodes[j]);
      let xL1 = 0;
      for (let i = 0; i < d; i++) { const x = node[i] * model.dx; r[i] = x - col.c[i]; xL1 += Math.abs(x); }
      for (let i = 0; i < d; i++) { let s = 0; for (let m = 0; m < d; m++) s += R[i * d + m] * r[m]; p[i] = s; }
      if (!(sdfInto(p, col.h, col.r, n, q, d, tie) < -tie)) continue;
      let lm = 0;
      for (let i = 0; i < d; i++) lm += Math.max(q[i], 0) ** 2;
      if (!(Math.sqrt(lm) > Math.max(tie, 1e-12))) continue; // in the core: the normal does not turn
      const band = KINK_ROUNDING * (xL1 + cL1);
      for (let i = 0; i < d; i++) {
        if (col.h[i] > 0 && Math.abs(q[i]) <= band) { out.push({ collider: k, step, node }); break; }
      }
    }
  }
  return out;
}
