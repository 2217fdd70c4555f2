// The node window of p2g's adjoint (p2g.adj.wgsl): a subgroup's lanes load the grid nodes around
// their stencils once between them and hand each lane its own stencil by subgroup shuffles.
//
// Why: a CPU driver (lavapipe) runs a storage load whose address differs per lane as one
// bounds-checked scalar load per lane and component, so the adjoint's gather of 3^DIM node records
// per particle is a large part of a 2D step adjoint. Scenes store particles sorted by stencil
// base (scenes/builders.ts), so the 8 lanes of a subgroup (8 consecutive particles) nearly always
// have bases within 3 nodes along x and 1 along y of the subgroup's least base. A 6 x 4 window there
// is 24 nodes: 3 loads per lane instead of 9, and 2 shuffles per stencil node, bit for bit the same
// gradient. In 3D the window would be 4^3 nodes for 27 per lane, with 3 to 4 shuffles per node and
// record, which measured slower than the loads, so 3D gathers directly (docs/performance.md).
//
// The generator writes, per dimension and subgroup size, the constants and `window_stencil`, which
// turns the lanes' window registers into the 3^DIM records of this lane's stencil with shuffles at
// compile-time register indices. Without a usable subgroup size it writes the same functions for a
// subgroup of one lane (each lane's window is its own stencil) and NODE_WINDOW = false, so the
// kernel compiles without the `subgroups` extension and never takes the window path.
import type { Dim } from './compose';

/** The only subgroup size the window is laid out for (lavapipe's: 8 lanes of 32-bit floats). */
export const WINDOW_SUBGROUP = 8;

export interface NodeWindowShape {
  /** Lanes per subgroup. */
  lanes: number;
  /** How far (nodes per axis) a lane's stencil base may lie beyond the subgroup's least base. */
  slack: number[];
  /** Window extent per axis: slack + 3. */
  extent: number[];
}

/** The window for `dim` on a device whose subgroups have `subgroupSize` lanes; null if none is used. */
export function nodeWindowShape(dim: Dim, subgroupSize: number | null): NodeWindowShape | null {
  if (dim !== 2 || subgroupSize !== WINDOW_SUBGROUP) return null;
  const slack = [3, 1];
  return { lanes: subgroupSize, slack, extent: slack.map((s) => s + 3) };
}

/** What a kernel that uses the window needs: the extension directives (first in the module) and the WGSL. */
export function nodeWindowWgsl(dim: Dim, subgroupSize: number | null): { directives: string; code: string } {
  const shape = nodeWindowShape(dim, subgroupSize);
  // one lane: the window is the stencil itself
  const s = shape ?? { lanes: 1, slack: Array(dim).fill(0), extent: Array(dim).fill(3) };
  const one = !shape;
  const strides = s.extent.map((_, i) => s.extent.slice(0, i).reduce((a, b) => a * b, 1));
  const lin = (q: number[]) => q.reduce((acc, v, i) => acc + v * strides[i], 0);
  const nodes = s.extent.reduce((a, b) => a * b, 1);
  const loads = Math.ceil(nodes / s.lanes);
  const axes = 'xyz';
  const ivec = (a: number[]) => `vecDi(${a.join(', ')})`;
  const shuffle = (reg: string, lane: string) => (one ? reg : `subgroupShuffle(${reg}, ${lane})`);
  // node k of this lane's stencil is window node j = lin(o_k) + lin(d): register j / lanes, lane
  // j % lanes; the registers it can be in follow from o_k and the slack alone.
  const body: string[] = [`  let jd = ${strides.map((st, i) => `${st}u * u32(d.${axes[i]})`).join(' + ')};`];
  const out: string[] = [];
  for (let k = 0; k < 3 ** dim; k++) {
    const o = Array.from({ length: dim }, (_, a) => Math.floor(k / 3 ** a) % 3);
    const lo = Math.floor(lin(o) / s.lanes);
    const hi = Math.floor((lin(o) + lin(s.slack)) / s.lanes);
    body.push(`  let j${k} = jd + ${lin(o)}u;`);
    let e = shuffle(`r[${lo}]`, `j${k} % ${s.lanes}u`);
    for (let m = lo + 1; m <= hi; m++) e = `select(${e}, ${shuffle(`r[${m}]`, `j${k} % ${s.lanes}u`)}, j${k} >= ${m * s.lanes}u)`;
    body.push(`  let n${k} = ${e};`);
    out.push(`n${k}`);
  }
  const primitives = one
    ? `fn window_min(v: i32) -> i32 { return v; }
fn window_all(c: bool) -> bool { return c; }
fn window_lane() -> u32 { return 0u; }`
    : `fn window_min(v: i32) -> i32 { return subgroupMin(v); }
fn window_all(c: bool) -> bool { return subgroupAll(c); }
// the lane's index: every lane of the subgroup is active wherever the window is used
fn window_lane() -> u32 { return subgroupExclusiveAdd(1u); }`;
  const code = `// The node window (src/shaders/node-window.ts), generated for ${one ? 'a subgroup of one lane: not used' : `subgroups of ${s.lanes} lanes`}.
const NODE_WINDOW: bool = ${!one};
const WIN_LANES: u32 = ${s.lanes}u;
const WIN_SLACK: vecDi = ${ivec(s.slack)};
const WIN_EXTENT: vecDi = ${ivec(s.extent)};
const WIN_NODES: u32 = ${nodes}u;
const WIN_LOADS: u32 = ${loads}u;
${primitives}
// Register r[m] of lane l holds window node m * WIN_LANES + l (x fastest); d = this lane's stencil
// base less the window's. Returns the records of the lane's stencil nodes, in stencil order.
fn window_stencil(r: array<vec4<f32>, WIN_LOADS>, d: vecDi) -> array<vec4<f32>, STENCIL> {
${body.join('\n')}
  return array<vec4<f32>, STENCIL>(${out.join(', ')});
}`;
  // The window's shuffles run where all lanes agreed (window_all), which WGSL's uniformity analysis
  // cannot see.
  const directives = one ? '' : 'enable subgroups;\ndiagnostic(off, subgroup_uniformity);';
  return { directives, code };
}
