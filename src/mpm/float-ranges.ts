// Ranges a scene's numbers must keep for the GPU to represent what its kernels compute from them.
// The schema (schema.ts) bounds each number alone by float32: finite, and the positive parameters
// at least the smallest normal float32. Here, the products the kernels form from several fields
// and the fixed-point grid's resolution. Without these, a scene of finite numbers ends as a
// blow-up report with the wrong advice (a scale that overflows), or runs wrong without a word (a
// stiffness flushed to 0, particles whose mass rounds away, velocities spread by mass rounding).
//
// Each rule is a quantity a kernel forms, charged to one field f: q(f) = q0 (f / f0)^power, the
// other fields as the scene has them, and the range q must keep. A field's allowed range is where
// all of its rules hold. Float32 products must stay in NORMAL = [2^-125, 2^127], a binade inside
// the normal range [2^-126, 2^128), so the rounding of their float32 factors cannot carry them out.
import type { GroupDesc, MpmScene } from './scene';
import { forwardScales, FP_HEADROOM, type FixedPointScales } from './fixed-point';
import { fmt, fmtDown, fmtUp, sceneError, show } from '../core/scene-error';

const NORMAL: [number, number] = [2 ** -125, 2 ** 127];
/** fixed-point.ts's TARGET: what the bounds map to. */
const FP_TARGET = 2 ** 30 - 2 ** 20;

/**
 * Bits of mass a particle keeps at the grid's mass resolution: its mass is at least 2^MASS_BITS
 * quanta 1/fpM. Derivation: p2g adds w_ip m_p to each of a particle's 3^DIM nodes and the sum is
 * rounded to the quantum (one word; the momentum has a second word, 2^16 times finer), so each
 * contribution is off by at most 1/2 quantum. A node inside a body sums about 3^DIM dx^DIM / vol
 * contributions whose weights total dx^DIM / vol, so its mass, and the velocity momentum / mass
 * of a rigid translation, is off by at most 3^DIM / (2 q) relative, q = m_p fpM the particle's
 * quanta; g2p passes that on (its weights sum to 1). The adjoint grid's headroom is
 * m_bound / m_min = 2^30 / q_min stencil weights (fixed_point.wgsl), so it resolves a step's
 * largest gradient term to about 2 / q_min. With q >= 2^16 the first is at most 3^DIM 2^-17 per
 * step (6.9e-5 in 2D, 2.1e-4 in 3D), the second 2^-15. Particles of volume dx^DIM / 2^DIM at the
 * densest group's density keep 2^26 / 2^DIM to 2^27 / 2^DIM quanta (fpM is a power of two), so
 * density ratios up to 2^(10 - DIM) within a scene pass at that spacing.
 */
export const MASS_BITS = 16;
/** Strains below this do not change a float32 deformation gradient near 1 (half its ulp, 2^-23). */
const F32_STRAIN = 2 ** -24;
/** The momentum's low word counts units of 2^-16 of its quantum (fp_split, fixed_point.wgsl). */
const FP_LO_UNITS = 2 ** 16;

interface Rule {
  /** The quantity, in words, with where a kernel forms it. */
  what: string;
  /** Its value at the scene's value of the field. */
  q0: number;
  /** The exponent of the field in it. */
  power: number;
  range: [number, number];
  /** Why the range is what it is, where it is not float32's. */
  note?: string;
}

interface Allowed { lo: number; hi: number }

/** Where all rules hold, as a range of the field (whose value is f0). */
function allowedRange(f0: number, rules: Rule[]): Allowed {
  let lo = 0, hi = Infinity;
  for (const r of rules) {
    const [a, b] = r.range.map((q) => f0 * (q / r.q0) ** (1 / r.power));
    lo = Math.max(lo, Math.min(a, b));
    hi = Math.min(hi, Math.max(a, b));
  }
  return { lo, hi };
}

function broken(rules: Rule[]): Rule | undefined {
  return rules.find((r) => !(r.q0 >= r.range[0] && r.q0 <= r.range[1]));
}

/** A bound as written in the rules: powers of two as 2^k. */
function bound(x: number): string {
  const k = Math.log2(x);
  return Number.isInteger(k) && Math.abs(k) >= 8 ? `2^${k}` : fmt(x);
}

function ruleRange(r: Rule): string {
  if (r.range === NORMAL) return 'in the normal float32 range less a binade each side, [2^-125, 2^127]';
  return r.range[1] === Infinity ? `>= ${bound(r.range[0])}` : `in [${bound(r.range[0])}, ${bound(r.range[1])}]`;
}

/** Throws a SceneError for `field` if one of its rules fails; the allowed range covers all of them. */
function checkRules(field: string, f0: number, rules: Rule[], value = show(f0), allowed?: Allowed): void {
  const bad = broken(rules);
  if (!bad) return;
  const why = `${bad.what} must be ${ruleRange(bad)}${bad.note ? `: ${bad.note}` : ''}; here it is ${fmt(bad.q0)}`;
  const a = allowed ?? allowedRange(f0, rules);
  throw sceneError(field, value, 'is out of range', a.lo <= a.hi
    ? `[${fmtUp(a.lo)}, ${fmtDown(a.hi)}] (${why})`
    : `no value, with the other fields as they are (${why})`);
}

const normal = (what: string, q0: number, power: number): Rule => ({ what, q0, power, range: NORMAL });

/** Checks the products of grid.dx, the densest density, dt, each particle's vol and each group's E. */
export function checkFloatRanges(s: MpmScene): void {
  const { dx } = s.grid;
  const { dt, dim } = s;
  checkRules('grid.dx', dx, [
    normal('1 / dx (the inv_dx uniform)', 1 / dx, -1),
    normal("4 / dx^2 (g2p's affine velocity C = 4 / dx^2 sum w v (x_i - x_p))", 4 / dx ** 2, -2),
    normal('dx / dt (the blow-up speed uniform)', dx / dt, 1),
  ]);
  const k = densest(s.groups);
  const rho = s.groups[k].density;
  const cellMass = FP_HEADROOM * rho * dx ** dim;
  // fpM = 2^floor(log2(raw)); the uniforms fp_m, 1 / fp_m and m_bound = 2^30 / fp_m are all
  // normal float32 when fp_m is in [2^-97, 2^126], that is when raw is.
  checkRules(`groups[${k}].density`, rho, [{
    what: `(2^30 - 2^20) / (8 density dx^${dim}), the grid's mass scale before rounding to a power of two (fixed-point.ts; the densest group)`,
    q0: FP_TARGET / cellMass, power: -1, range: [2 ** -97, 2 ** 126],
  }]);
  // Likewise fp_p, with p_bound = 2^30 / fp_p and fp_join's 1 / (2^16 fp_p): fp_p in [2^-97, 2^110].
  checkRules('dt', dt, [
    normal('dx / dt (the blow-up speed uniform)', dx / dt, -1),
    { what: `(2^30 - 2^20) dt / (8 density dx^${dim + 1}), the grid's momentum scale before rounding (fixed-point.ts; the densest group)`,
      q0: FP_TARGET / (cellMass * (dx / dt)), power: 1, range: [2 ** -97, 2 ** 110] },
  ]);
  const scales = forwardScales(rho, dx, dt, dim);
  const vols = checkVolumes(s, scales);
  s.groups.forEach((g, j) => {
    if (vols.max[j] > 0) checkStiffness(s, g, j, scales, vols.min[j], vols.max[j]);
  });
}

function densest(groups: GroupDesc[]): number {
  let k = 0;
  groups.forEach((g, j) => { if (g.density > groups[k].density) k = j; });
  return k;
}

// Every rule of a particle's volume is linear in it: per group, a range, then one pass.
function volumeRules(s: MpmScene, g: GroupDesc, scales: FixedPointScales): Rule[] {
  const { dx } = s.grid;
  const { dt } = s;
  const k = densest(s.groups);
  const from = `fpM = 2^${Math.log2(scales.fpM)}, from dx and the densest group's density ${show(s.groups[k].density)}`;
  return [
    { what: `density vol fpM, the particle's mass in quanta of the grid's mass resolution (${from})`,
      q0: g.density * scales.fpM, power: 1, range: [2 ** MASS_BITS, 2 ** 30],
      note: `${MASS_BITS} bits of mass at least, the node mass bound at most` },
    normal("dt vol (p2g's stress impulse scale -dt vol 4 / dx^2, evaluated left to right)", dt, 1),
    normal("4 dt vol / dx (p2g's stress impulse scale, evaluated left to right)", (4 * dt) / dx, 1),
    normal("4 dt vol / dx^2 (p2g's stress impulse scale)", (4 * dt) / dx ** 2, 1),
    normal("4 density vol / dt (p2g's affine momentum m C, |C| up to about 4 / dt)", (4 * g.density) / dt, 1),
  ];
}

/** Checks each particle's volume; returns the smallest and largest of each group (0: no particles). */
function checkVolumes(s: MpmScene, scales: FixedPointScales): { min: number[]; max: number[] } {
  const { vol, group } = s.particles;
  const rules = s.groups.map((g) => volumeRules(s, g, scales));
  // The rules' q0 are per unit volume, so f0 = 1 gives the ranges directly.
  const ranges = rules.map((r) => allowedRange(1, r));
  const min = s.groups.map(() => Infinity);
  const max = s.groups.map(() => 0);
  for (let p = 0; p < vol.length; p++) {
    const k = group[p];
    if (!(k < rules.length)) continue; // not a group: checkParticles says so
    const v = vol[p];
    if (!(v >= ranges[k].lo && v <= ranges[k].hi)) {
      const scaled = rules[k].map((r) => ({ ...r, q0: r.q0 * v }));
      checkRules(`particles.vol[${p}]`, v, scaled, `${show(v)} (particle ${p}, groups[${k}] "${s.groups[k].name}")`, ranges[k]);
    }
    if (v < min[k]) min[k] = v;
    if (v > max[k]) max[k] = v;
  }
  return { min, max };
}

/** P-wave modulus lambda + 2 mu (fluids: the bulk modulus), what the stress scales with; and mu. */
function moduli(g: GroupDesc, dim: number): { M: number; mu: number } {
  const mu = g.E / (2 * (1 + g.nu));
  const lambda = (g.E * g.nu) / ((1 + g.nu) * (1 - 2 * g.nu));
  return { M: g.material === 'fluid' ? lambda + (2 * mu) / dim : lambda + 2 * mu, mu };
}

// A group's stress at strain e adds to a node's momentum w 4 M dt vol / dx^2 e (x_i - x_p) (p2g:
// w A (x_i - x_p)), the lever up to 1.5 dx: about 4 M dt vol / dx e. For the stiffness to act at
// every strain a float32 F holds (F32_STRAIN), that impulse must reach half a unit of the
// momentum's low word, 1 / (2^16 fp_p) (fp_split), for the group's smallest particles. As fp_p is
// fpM dt / dx within a factor 2, this is about 4 kappa q 2^-24 >= 2^-17, kappa = M dt^2 /
// (density dx^2) the squared CFL number and q the particle's mass quanta. The other rules keep the
// moduli and the impulse at unit strain inside float32.
function checkStiffness(s: MpmScene, g: GroupDesc, k: number, scales: FixedPointScales, volMin: number, volMax: number): void {
  const { dx } = s.grid;
  const { dt, dim } = s;
  const { M, mu } = moduli(g, dim);
  checkRules(`groups[${k}].E`, g.E, [
    normal('mu = E / (2 (1 + nu))', mu, 1),
    normal(g.material === 'fluid' ? 'M = lambda + 2 mu / dim, the bulk modulus' : 'M = lambda + 2 mu, the P-wave modulus', M, 1),
    normal("M 4 dt vol / dx^2, p2g's stress impulse at unit strain (the group's largest vol)", (M * 4 * dt * volMax) / dx ** 2, 1),
    { what: `M 4 dt vol / dx 2^-24 2^16 fp_p, the stress impulse at a strain of 2^-24 in units of the momentum's `
        + `low word (fp_p = 2^${Math.log2(scales.fpP)}; the group's smallest vol)`,
      q0: ((M * 4 * dt * volMin) / dx) * F32_STRAIN * scales.fpP * FP_LO_UNITS, power: 1, range: [0.5, Infinity],
      note: 'half a unit, so the stiffness acts at every strain a float32 F near 1 holds' },
  ]);
}
