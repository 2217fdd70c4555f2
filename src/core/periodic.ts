// A periodic actuation, as diffmpm's controllers are: channel c at step t is
//   a_c(t) = tanh(b_c + sum_k alpha_ck sin(2 pi k t / P) + beta_ck cos(2 pi k t / P)),
// bounded by tanh to [-1, 1]. The same function is a parameter an optimizer tunes
// ('actuation.periodic', src/opt/parameters.ts) and scene data (`actuation.periodic`), so a tuned
// gait saved in its scene stays a gait at any number of steps, row for row the tuned one.
import { sceneError } from './scene-error';

/** A scene's periodic actuation. */
export interface PeriodicActuation {
  /** Steps per period (> 0). */
  period: number;
  /** Channel after channel, 1 + 2K numbers each: [bias, sin 1, cos 1, sin 2, cos 2, ...] for K harmonics. */
  coefficients: number[];
}

/** Harmonics a periodic actuation may have. */
export const MAX_HARMONICS = 16;

/** Row t of the basis: 1, sin(2 pi t / P), cos(2 pi t / P), sin(4 pi t / P), ... (1 + 2K numbers). */
export function periodicBasis(t: number, period: number, harmonics: number): Float64Array {
  const r = new Float64Array(1 + 2 * harmonics);
  r[0] = 1;
  for (let k = 1; k <= harmonics; k++) { r[2 * k - 1] = Math.sin((2 * Math.PI * k * t) / period); r[2 * k] = Math.cos((2 * Math.PI * k * t) / period); }
  return r;
}

/** a_c at a basis row: tanh of channel c's coefficients (`per` = 1 + 2K of them) against the row. */
export function periodicValue(coefficients: ArrayLike<number>, basis: Float64Array, c: number): number {
  let z = 0;
  for (let j = 0; j < basis.length; j++) z += coefficients[c * basis.length + j] * basis[j];
  return Math.tanh(z);
}

/** The rows [rows][channels], flattened, of a periodic actuation. */
export function periodicRows(p: PeriodicActuation, channels: number, rows: number): number[] {
  const K = (p.coefficients.length / channels - 1) / 2;
  const out: number[] = [];
  for (let t = 0; t < rows; t++) {
    const basis = periodicBasis(t, p.period, K);
    for (let c = 0; c < channels; c++) out.push(periodicValue(p.coefficients, basis, c));
  }
  return out;
}

/** A scene's actuation rows, flattened: its `values`, or its periodic actuation over `steps` rows. */
export function actuationValues(act: { channels: number; values?: number[]; periodic?: PeriodicActuation }, steps: number): number[] {
  return act.periodic ? periodicRows(act.periodic, act.channels, steps) : act.values ?? [];
}

/**
 * Checks a scene's actuation source (SceneError naming the field): `values` or `periodic`, not both;
 * a periodic one's coefficients whole channels of 1 + 2K, K in [1, MAX_HARMONICS]. `required`: a
 * scene kind whose actuation must give one (MPM's absent rows are zero at every step).
 */
export function checkActuationSource(act: { channels: number; values?: number[]; periodic?: PeriodicActuation }, required: boolean): void {
  if (act.values !== undefined && act.periodic !== undefined) {
    throw sceneError('actuation', 'values and periodic', 'gives both', 'one of them: rows of values, or a periodic gait');
  }
  if (required && act.values === undefined && act.periodic === undefined) {
    throw sceneError('actuation.values', undefined, 'is missing', 'rows [T][channels], flattened, or actuation.periodic');
  }
  const p = act.periodic;
  if (!p) return;
  const per = p.coefficients.length / act.channels, K = (per - 1) / 2;
  if (!(Number.isInteger(K) && K >= 1 && K <= MAX_HARMONICS)) {
    throw sceneError('actuation.periodic.coefficients', `${p.coefficients.length} numbers`, `is not ${act.channels} channel${act.channels === 1 ? '' : 's'} of 1 + 2K`,
      `channels x (1 + 2K) numbers, K harmonics in [1, ${MAX_HARMONICS}]: [bias, sin 1, cos 1, ...] per channel (e.g. ${act.channels * 3} for K = 1)`);
  }
}
