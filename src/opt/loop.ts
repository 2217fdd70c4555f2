// One optimization iteration, the same for the CLI and the browser: ask the optimizer for points,
// evaluate them (a gradient at one point, or a population as batch copies), tell it the losses, and
// keep the best point seen. What the caller keeps between iterations is a LoopState, which holds
// nothing but numbers, so a run can be saved after any iteration and resumed bit for bit.
import type { Optimizer } from './optimizers';
import type { NonFiniteReport, PointValue, SceneObjective } from './objective';
import { RolloutError } from '../core/rollout';

export interface LoopState {
  /** Iterations done. */
  iteration: number;
  best: { iteration: number; loss: number; theta: number[] };
  initialLoss: number | null;
  /** Gradient norm of the first iteration that had one (the exploding-gradient warning's yardstick). */
  firstGradientNorm: number | null;
  warnedGrowth: boolean;
  /** Blow-ups since the best point last improved, each of which sent the optimizer back to it (a run stops at BLOW_UPS). */
  blowUps?: number;
}

/** Rollouts that may blow up without the best point improving in between, each sending the optimizer back to it at half the rate, before the run stops. */
export const BLOW_UPS = 3;

export interface IterationRecord {
  iteration: number;
  /** The loss at the optimizer's current point. */
  loss: number;
  bestLoss: number;
  /** Of the current point's gradient, where one was taken (sampling iterations have none). */
  gradientNorm: number | null;
  /** Rollouts (points) evaluated. */
  evaluations: number;
  com: number[] | null;
  /** The metric the loss stands for at the current point, where it reports one (region-fraction's exact fraction, com-speed's speed, match-pairs' distance; the mean over shared copies); null on sampling iterations. */
  report: number | null;
  optimizer: string;
  seconds: number;
  /**
   * Set on the iteration where the gradient norm first grew 1000x past the first one's, and on the
   * first iteration with a gradient where a parameter's is exactly zero.
   */
  warning?: string;
  /** What to try about the warning with the CLI's options (the page, which has none of them, says its own). */
  cliAdvice?: string;
  /** What to try in the page, where it is not the page's advice on an exploding gradient. */
  pageAdvice?: string;
}

export interface Iteration {
  record: IterationRecord;
  /** The optimizer's current point, whose loss the record gives. */
  point: Float64Array;
}

/** An optimization that cannot go on (a NaN loss or gradient): the CLI prints it without a stack. */
export class OptimizeError extends Error {
  constructor(message: string) { super(message); this.name = 'OptimizeError'; }
}

/** Growth of the gradient norm over the first iteration's that draws a warning (chaotic rollouts). */
export const GROWTH_WARNING = 1e3;

export function initialLoopState(theta0: Float64Array): LoopState {
  return { iteration: 0, best: { iteration: -1, loss: Infinity, theta: Array.from(theta0) }, initialLoss: null, firstGradientNorm: null, warnedGrowth: false };
}

/**
 * The best point's gradient, by run (kept beside its LoopState, which holds numbers only): after
 * "back to the best point", adam and gd ask for that point again, and its rollout would give the
 * same bytes (13-40% of the iterations of runs that back off several times). Not where a goal draw
 * makes the gradient depend on the iteration; a resumed run starts without it and recomputes it.
 */
const bestGradients = new WeakMap<LoopState, { theta: Float64Array; value: PointValue }>();

const sameTheta = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.prototype.every.call(a, (x: number, i: number) => Object.is(x, b[i]));

/** Runs one iteration and updates `state` in place. */
export async function iterate(objective: SceneObjective, opt: Optimizer, state: LoopState, o: { population: number }): Promise<Iteration> {
  const t0 = performance.now();
  const { thetas, gradient } = opt.ask();
  let losses: number[], grad: Float64Array | undefined, com: number[] | null = null, nonFinite: NonFiniteReport | undefined, report: number | null = null;
  if (gradient) {
    let v: PointValue;
    const memo = bestGradients.get(state);
    try {
      v = memo && sameTheta(memo.theta, thetas[0]) ? { ...memo.value, gradient: Float64Array.from(memo.value.gradient) } : await objective.gradient(thetas[0], state.iteration); // the iteration seeds a goal draw
    } catch (e) {
      // a trial point whose rollout blew up: back to the best point at half the rate, a few times
      if (!(e instanceof RolloutError) || (state.blowUps ?? 0) + 1 >= BLOW_UPS || !opt.backOff?.()) throw e;
      state.blowUps = (state.blowUps ?? 0) + 1;
      state.iteration++;
      return {
        point: thetas[0],
        record: {
          iteration: state.iteration, loss: Infinity, bestLoss: state.best.loss, gradientNorm: null, evaluations: 1, com: null, report: null,
          optimizer: opt.describe(), seconds: (performance.now() - t0) / 1000,
          warning: `${e.message.replace(/\.$/, '')}; back to the best point at half the rate (${state.blowUps} of ${BLOW_UPS - 1} such steps back before it improves)`,
        },
      };
    }
    if (v.loss < state.best.loss && !v.drawn) bestGradients.set(state, { theta: Float64Array.from(thetas[0]), value: { ...v, gradient: Float64Array.from(v.gradient) } }); // the optimizer may clip its copy in place
    losses = [v.loss];
    grad = v.gradient;
    com = v.com;
    nonFinite = v.nonFinite;
    if (v.report?.length) report = v.report.reduce((a, x) => a + x, 0) / v.report.length;
  } else {
    losses = await objective.losses(thetas, o.population);
  }
  const L = losses[0];
  // a blow-up in the forward is a RolloutError naming its step before we get here
  if (Number.isNaN(L)) throw new OptimizeError(`iteration ${state.iteration + 1}: the loss is NaN, though every step's state stayed finite: the loss itself divides by zero or reads a NaN`);
  if (grad && !grad.every(Number.isFinite)) {
    const part = objective.params.partOf(grad.findIndex((x) => !Number.isFinite(x)));
    throw new OptimizeError(`iteration ${state.iteration + 1}: the gradient of '${part}' is not finite (loss ${L}): ${describeNonFinite(nonFinite)}; `
      + 'the rollout went through a singular point or its gradient exploded with the horizon: try a smaller learning rate, --clip, --window or fewer --steps');
  }
  // the best of every evaluated point, not only the current one (a population's best sample)
  losses.forEach((l, k) => {
    if (l < state.best.loss) {
      state.best = { iteration: state.iteration, loss: l, theta: Array.from(thetas[k]) };
      state.blowUps = 0;
    }
  });
  state.initialLoss ??= L;
  // a loop, not Math.hypot(...grad): a per-step control track can have more entries than a call takes arguments
  let gradientNorm: number | null = null;
  if (grad) { let s2 = 0; for (const g of grad) s2 += g * g; gradientNorm = Math.sqrt(s2); }
  let warning: { warning: string; cliAdvice: string; pageAdvice?: string } | undefined;
  if (gradientNorm !== null) {
    // the first gradient: a parameter it is exactly zero for is one the loss does not see at all
    const dead = state.firstGradientNorm === null && grad ? zeroParts(objective.params.parts, grad) : [];
    if (dead.length) {
      warning = {
        warning: `the gradient of ${dead.map((n) => `'${n}'`).join(', ')} is exactly zero: the loss does not depend on ${dead.length > 1 ? 'them' : 'it'} in this rollout `
          + '(a collider or gripper that touches nothing, an actuator of a group the loss does not read, controls after the step the loss observes), so gradient steps leave it where it is',
        cliAdvice: 'check what it moves against what the loss reads, and the horizon (--steps)',
        pageAdvice: 'Check what it moves against what the scene\'s loss reads; open the scene as a file with other optimize.params or steps to change them.',
      };
    }
    state.firstGradientNorm ??= gradientNorm;
    if (!state.warnedGrowth && state.firstGradientNorm > 0 && gradientNorm > GROWTH_WARNING * state.firstGradientNorm) {
      state.warnedGrowth = true;
      warning = {
        warning: `the gradient norm grew ${(gradientNorm / state.firstGradientNorm).toExponential(1)}x since the first iteration: `
          + 'the rollout may be chaotic here (gradients explode with the horizon)',
        cliAdvice: 'try --clip, a shorter --steps, or a sampling optimizer (cem, spsa)',
      };
    }
  }
  opt.tell(losses, grad);
  state.iteration++;
  return {
    point: thetas[0],
    record: {
      iteration: state.iteration, loss: L, bestLoss: state.best.loss, gradientNorm, evaluations: thetas.length, com, report,
      optimizer: opt.describe(), seconds: (performance.now() - t0) / 1000, ...warning,
    },
  };
}

/** The parts (in order, `size` entries each) whose entries of grad are all exactly zero. */
export function zeroParts(parts: readonly { name: string; size: number }[], grad: ArrayLike<number>): string[] {
  const out: string[] = [];
  let o = 0;
  for (const p of parts) {
    let zero = p.size > 0;
    for (let i = o; i < o + p.size && zero; i++) zero = grad[i] === 0;
    if (zero) out.push(p.name);
    o += p.size;
  }
  return out;
}

/** Where a gradient went non-finite, in words: the step and state fields first, then the parameters' kinds. */
export function describeNonFinite(r: NonFiniteReport | undefined): string {
  if (!r) return 'where is not known';
  const parts: string[] = [];
  if (r.adjoint) parts.push(`dL/d(state) first went non-finite in the adjoint of step ${r.adjoint.step} (${r.adjoint.fields.map((f) => `'${f}'`).join(', ')})`);
  if (r.blocks.length) {
    const [first, ...rest] = r.blocks;
    const at = (b: { step: number | null }) => (b.step === null ? '' : ` from step ${b.step} back`);
    parts.push(`the first parameter gradient to go non-finite is '${first.name}' (${first.kind})${at(first)}`
      + (rest.length ? `, then ${rest.map((b) => `'${b.name}' (${b.kind})${at(b)}`).join(', ')}` : ''));
  }
  if (r.initialState) parts.push('dL/d(initial state) is non-finite');
  return parts.join('; ') || 'no step or parameter block shows it';
}
