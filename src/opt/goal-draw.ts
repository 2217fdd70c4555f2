// Commands drawn afresh for each gradient of a controller trained on several goals (Complex
// Locomotion trains on random target speeds): a fixed list of goals is fitted at those goals alone,
// and a command between two of them may land far off; goals drawn over the whole range each
// iteration make the controller fit the range. Stratified, so every draw covers it: copy j's goal is
// uniform in the j-th of S equal parts of the listed goals' range (per component; the parts of a
// later component are shuffled among the copies, a Latin hypercube). Seeded by (seed, draw) alone, so
// a resumed run draws what the uninterrupted one drew.
import { Random } from '../core/rng';
import { sceneError, show } from '../core/scene-error';
import { commandedGoals, type ControllerSpec } from '../control/controller';

/** How the copies that share theta are commanded for a gradient: the listed goals, or a stratified draw over their range. */
export type GoalDraws = 'listed' | 'stratified';

/** S goals drawn stratified over the range of `listed` (S = listed.length), from (seed, draw). */
export function stratifiedGoals(listed: number[][], seed: number, draw: number): number[][] {
  const S = listed.length, n = listed[0].length;
  const rng = new Random((seed ^ Math.imul(draw + 1, 0x9e3779b9)) >>> 0);
  rng.next(); // the first output of neighbouring seeds is the most alike
  const out = Array.from({ length: S }, () => new Array<number>(n));
  for (let k = 0; k < n; k++) {
    const lo = Math.min(...listed.map((g) => g[k])), hi = Math.max(...listed.map((g) => g[k]));
    const part = Array.from({ length: S }, (_, j) => j);
    if (k > 0) for (let j = S - 1; j > 0; j--) { const i = Math.floor(rng.next() * (j + 1)); [part[i], part[j]] = [part[j], part[i]]; }
    for (let j = 0; j < S; j++) out[j][k] = lo + ((part[j] + rng.next()) / S) * (hi - lo);
  }
  return out;
}

/** Refuses optimize.goals 'stratified' without a controller commanded several goals. */
export function checkGoalDraws(draws: GoalDraws | undefined, controller: ControllerSpec | undefined): void {
  if (draws !== 'stratified') return;
  const n = commandedGoals(controller).length;
  if (n < 2) throw sceneError('optimize.goals', show(draws), `needs a controller with a 'goal' input and several goals to draw between (it has ${n})`, "'listed', or list several controller.goal rows");
}
