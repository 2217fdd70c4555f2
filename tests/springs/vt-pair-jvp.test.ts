// `vt_pair_tangents` (contact.tri.adj.wgsl): one vertex-triangle pair's four forces differentiated
// by hand, region by region of the closest point (pt_tri). Against central differences of the
// float64 pair force (reference.ts ptTriRef) on random triangles of the cloth's element sizes and
// larger near the origin, the vertex placed in each of the 7 regions (face, 3 edges, 3 corners) well inside it, at a
// random distance within the thickness. Twins with one term of the derivative dropped (the face's
// and an edge's weights sliding, the weights' derivative in the corners' forces) must fail.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { springShaders } from '../../src/shaders/index';
import { ptTriRef } from '../../src/springs/reference';
import { mulberry32 } from '../../src/core/rng';
import { runTestKernel } from '../helpers/test-kernel';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

/** Largest error of the four tangents, relative to the largest of them. */
const REL_TOL = 2e-5;

/** The WGSL declaration that starts with `head`, through its closing brace. */
function wgslDecl(src: string, head: string): string {
  const i = src.indexOf(head);
  if (i < 0) throw new Error(`no '${head}'`);
  let depth = 0;
  for (let k = src.indexOf('{', i); k < src.length; k++) {
    if (src[k] === '{') depth++;
    else if (src[k] === '}' && --depth === 0) return src.slice(i, k + 1);
  }
  throw new Error(`'${head}' is not closed`);
}

const WORDS_IN = 26;
const WORDS_OUT = 13;
const kernel = (tangents: string) => `
${wgslDecl(springShaders.contactTri, 'struct PtTri')}
${(springShaders.contactTri.match(/^const REGION_\w+: u32 = \d+u;$/gm) ?? []).join('\n')}
${wgslDecl(springShaders.contactTri, 'fn pt_tri(')}
${tangents}
@group(0) @binding(0) var<storage, read> xl: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
fn v3(o: u32) -> vec3<f32> { return vec3<f32>(xl[o], xl[o + 1u], xl[o + 2u]); }
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let o = gid.x * ${WORDS_IN}u;
  let x = array<vec3<f32>, 4>(v3(o), v3(o + 3u), v3(o + 6u), v3(o + 9u));
  let l = array<vec3<f32>, 4>(v3(o + 12u), v3(o + 15u), v3(o + 18u), v3(o + 21u));
  let pt = pt_tri(x[0], x[1], x[2], x[3]);
  let j = vt_pair_tangents(x, l, pt, xl[o + 24u], xl[o + 25u]);
  let w = gid.x * ${WORDS_OUT}u;
  for (var q = 0u; q < 4u; q++) {
    for (var d = 0u; d < 3u; d++) { out[w + 3u * q + d] = j[q][d]; }
  }
  out[w + 12u] = f32(pt.region);
}`;
const TANGENTS = wgslDecl(springShaders.contactTriAdj, 'fn vt_pair_tangents(');

type V = number[];
const add = (a: V, b: V) => a.map((v, i) => v + b[i]);
const sub = (a: V, b: V) => a.map((v, i) => v - b[i]);
const scale = (a: V, s: number) => a.map((v) => v * s);
const dot = (a: V, b: V) => a.reduce((s, v, i) => s + v * b[i], 0);
const cross = (a: V, b: V) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const norm = (a: V) => Math.hypot(...a);
const unit = (a: V) => scale(a, 1 / norm(a));

/** pt_tri's region codes (contact.tri.wgsl): corners a, b, c, edges ab, ac, bc, the face. */
const REGIONS = ['a', 'b', 'c', 'ab', 'ac', 'bc', 'face'];

/** The pair's forces (f_p, f_a, f_b, f_c) in float64. */
function pairForces(x: V[], kc: number, h: number): V[] {
  const { q, w } = ptTriRef(x[0], x[1], x[2], x[3]);
  const r = sub(x[0], q), d = norm(r);
  const fp = scale(r, (kc * (h - d)) / d);
  return [fp, ...w.map((wk) => scale(fp, -wk))];
}

/**
 * A triangle with edges of about `len` (no angle under 30 degrees) within a few edges of the origin,
 * and a vertex in `region` within h of it. Near the origin, so that the error is the derivative's: at
 * |x| >> h the f32 rounding of p - q itself (the forward's, in every f32 evaluation) grows as |x| / d.
 */
function pair(rand: () => number, len: number, region: number, h: number): V[] {
  const r = () => 2 * rand() - 1;
  const rv = () => [r(), r(), r()];
  for (;;) {
    const a = scale(rv(), 2 * len);
    const b = add(a, scale(unit(rv()), len * (0.6 + 0.6 * rand())));
    const c = add(a, scale(unit(rv()), len * (0.6 + 0.6 * rand())));
    const xs = [a, b, c];
    const ok = [0, 1, 2].every((k) => {
      const e1 = unit(sub(xs[(k + 1) % 3], xs[k])), e2 = unit(sub(xs[(k + 2) % 3], xs[k]));
      return Math.abs(dot(e1, e2)) < Math.cos(Math.PI / 6);
    });
    if (!ok) continue;
    const n = unit(cross(sub(b, a), sub(c, a)));
    const d = h * (0.2 + 0.7 * rand());
    let p: V;
    if (region < 3) {
      // a corner: a direction at least 17 degrees past both of its edges' normal planes
      const e1 = unit(sub(xs[(region + 1) % 3], xs[region])), e2 = unit(sub(xs[(region + 2) % 3], xs[region]));
      let dir = unit(rv());
      while (dot(dir, e1) > -0.3 || dot(dir, e2) > -0.3) dir = unit(rv());
      p = add(xs[region], scale(dir, d));
    } else if (region < 6) {
      // an edge: a point well inside it, the direction normal to it, outward of the face by at least 20 degrees
      const [i, j, k] = [[0, 1, 2], [0, 2, 1], [1, 2, 0]][region - 3];
      const e = sub(xs[j], xs[i]);
      const q = add(xs[i], scale(e, 0.1 + 0.8 * rand()));
      const m = unit(sub(sub(q, xs[k]), scale(unit(e), dot(sub(q, xs[k]), unit(e)))));
      const phi = 1.2 * r();
      p = add(q, scale(add(scale(m, Math.cos(phi)), scale(n, Math.sin(phi))), d));
    } else {
      const w = [0.2 + rand(), 0.2 + rand(), 0.2 + rand()];
      const s = w[0] + w[1] + w[2];
      const q = add(add(scale(a, w[0] / s), scale(b, w[1] / s)), scale(c, w[2] / s));
      p = add(q, scale(n, (rand() < 0.5 ? -1 : 1) * d));
    }
    return [p, a, b, c].map((v) => v.map(Math.fround));
  }
}

/** The worst relative error over random pairs in every region, and which region it was in. */
async function worstError(tangents: string, label: string): Promise<{ worst: number; where: string; byRegion: number[] }> {
  const rand = mulberry32(23);
  const lens = [1 / 128, 1 / 32, 0.1, 0.5];
  const n = 64 * 7;
  const xl = new Float32Array(n * WORDS_IN);
  const cases: { x: V[]; l: V[]; kc: number; h: number; region: number; len: number }[] = [];
  for (let c = 0; c < n; c++) {
    const region = c % 7, len = lens[Math.floor(c / 7) % lens.length];
    const h = Math.fround(len * (0.2 + 0.4 * rand())), kc = Math.fround(20 + 200 * rand());
    const x = pair(rand, len, region, h);
    const l = Array.from({ length: 4 }, () => [0, 0, 0].map(() => Math.fround(2 * rand() - 1)));
    cases.push({ x, l, kc, h, region, len });
    xl.set([...x.flat(), ...l.flat(), kc, h], c * WORDS_IN);
  }
  const out = await runTestKernel(gpu, label, kernel(tangents), [xl], n * WORDS_OUT * 4, n);
  let worst = 0, where = '';
  const byRegion = new Array(7).fill(0);
  for (let c = 0; c < n; c++) {
    const { x, l, kc, h, region, len } = cases[c];
    expect(REGIONS[out[c * WORDS_OUT + 12]]).toBe(REGIONS[region]);
    const s = 1e-6 * len;
    const fPlus = pairForces(x.map((v, q) => add(v, scale(l[q], s))), kc, h);
    const fMinus = pairForces(x.map((v, q) => add(v, scale(l[q], -s))), kc, h);
    const df = fPlus.map((f, q) => scale(sub(f, fMinus[q]), 1 / (2 * s)));
    const dfMax = Math.max(...df.map(norm));
    let e = 0;
    for (let q = 0; q < 4; q++) e = Math.max(e, norm(sub(Array.from(out.subarray(c * WORDS_OUT + 3 * q, c * WORDS_OUT + 3 * q + 3)), df[q])) / dfMax);
    byRegion[region] = Math.max(byRegion[region], e);
    if (e > worst) {
      worst = e;
      where = `${REGIONS[region]}, edge ~${len}`;
    }
  }
  return { worst, where, byRegion };
}

test('vt_pair_tangents: the four forces\' derivative in all 7 regions against float64 central differences', async () => {
  const r = await worstError(TANGENTS, 'test.vt_pair_tangents');
  console.log(`vt_pair_tangents: max relative error ${r.worst.toExponential(2)} (${r.where}); by region ${REGIONS.map((g, k) => `${g} ${r.byRegion[k].toExponential(1)}`).join(', ')}`);
  expect(r.worst).toBeLessThan(REL_TOL);
});

test.each([
  ['the face\'s weights sliding with its corners', 'let s1 = dot(u, ab) + dot(r, dab);', 'let s1 = dot(u, ab);'],
  ['an edge\'s weights sliding with its corners', 'dwc = (dot(u, e) + dot(r, l[3] - l[2])) / dot(e, e);', 'dwc = dot(u, e) / dot(e, e);'],
  ['the weights\' derivative in the corners\' forces', 'let dfb = -(dwb * fp + pt.w.y * dfp);', 'let dfb = -(pt.w.y * dfp);'],
])('vt_pair_tangents without %s fails the same check', async (_, term, broken) => {
  expect(TANGENTS).toContain(term);
  const r = await worstError(TANGENTS.replace(term, broken), 'test.vt_pair_tangents.broken');
  console.log(`broken twin: max relative error ${r.worst.toExponential(2)} (${r.where})`);
  expect(r.worst).toBeGreaterThan(20 * REL_TOL);
});
