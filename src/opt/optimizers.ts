// The optimizers behind `torsion optimize` and the browser's Optimize button, in an ask/tell form:
// an optimizer proposes the points it wants evaluated (one point with its gradient, or a population
// of points, which the caller evaluates as batch copies in the same dispatches) and is told their
// losses. Everything an optimizer holds is in `save()`, so a run resumed from a saved iteration
// continues exactly as the uninterrupted run would.
//
// - adam, gd: gradient steps, with the gradient clipped to a norm or normalized if asked. When the
//   loss rises (for `patience` iterations in a row), the step overshot: restart from the best point
//   with half the rate (momentum would otherwise carry the iterate further off, and a fixed rate
//   circles the optimum). A rough loss, such as a walker's, wants some patience.
// - cem: the cross-entropy method; a diagonal Gaussian refitted to the elite samples each iteration.
// - spsa: antithetic pairs theta +- sigma eps estimate the gradient from forward rollouts only (the
//   evolution strategies estimator), and Adam steps with it.
// - hybrid: cem until it stalls (3 iterations without a better elite mean) or for sampleIterations
//   (10; a run gives half its iterations if fewer, hybridSampleIterations), then adam (or gd) from
//   its best point: sampling finds a basin, gradients refine it (ThinShellLab's finding).
import { Adam } from './adam';
import { Random } from '../core/rng';

export const optimizerNames = ['adam', 'gd', 'cem', 'spsa', 'hybrid'] as const;
export type OptimizerName = (typeof optimizerNames)[number];

export interface OptimizerOptions {
  /** Step size (adam, gd, spsa's adam), in theta's units. */
  lr: number;
  /** Seeds every random draw. */
  seed: number;
  /** Gradients longer than this are scaled down to it. */
  clip?: number;
  /** Steps along the unit gradient (the rate is then the step length). */
  normalize?: boolean;
  /** Points evaluated per iteration by cem and spsa (batch copies). */
  population?: number;
  /** cem's initial standard deviation and spsa's perturbation, in theta's units. */
  sigma?: number;
  /** Share of cem's population refitted to. */
  elite?: number;
  /** hybrid: iterations of cem at most before it turns to gradients. */
  sampleIterations?: number;
  /** hybrid: the gradient method it refines with (default adam). */
  refine?: 'adam' | 'gd';
  /** adam, gd: iterations in a row without a better loss before the restart (default 1). */
  patience?: number;
}

export interface Proposal {
  /** Points to evaluate; the first is the optimizer's current point (its loss is the iteration's). */
  thetas: Float64Array[];
  /** Whether the first point's gradient is wanted. */
  gradient: boolean;
}

export interface Optimizer {
  readonly name: OptimizerName;
  ask(): Proposal;
  /** The losses of the asked points, in order, and the first point's gradient if it was asked. */
  tell(losses: number[], gradient?: Float64Array): void;
  /**
   * The point asked for blew up (its rollout stopped): step back to the best point at half the rate
   * and return true, or return false where there is nothing to step back to.
   */
  backOff?(): boolean;
  /** A short state for the progress line: the rate, the sampling width, the phase. */
  describe(): string;
  /** Points a sampling iteration evaluates (cem: the population; spsa: the current point and its antithetic pairs, so one fewer for an even population); absent for adam and gd. */
  readonly points?: number;
  save(): unknown;
  load(state: unknown): void;
}

export type Clamp = (theta: Float64Array) => void;

const arr = (a: Float64Array) => Array.from(a);
const f64 = (a: unknown) => Float64Array.from(a as number[]);
const norm = (g: ArrayLike<number>) => { let s = 0; for (let i = 0; i < g.length; i++) s += g[i] * g[i]; return Math.sqrt(s); };

/** The gradient as a step will use it: clipped to `clip` or normalized. */
export function shapeGradient(g: Float64Array, o: Pick<OptimizerOptions, 'clip' | 'normalize'>): Float64Array {
  const n = norm(g);
  if (o.normalize) return n > 0 ? g.map((x) => x / n) : g.slice();
  if (o.clip !== undefined && n > o.clip) return g.map((x) => (x * o.clip!) / n);
  return g.slice();
}

/** adam or gd from theta0, restarting from the best point with half the rate when the loss rises. */
class Descent implements Optimizer {
  private theta: Float64Array;
  private best: Float64Array;
  private bestLoss = Infinity;
  private readonly adam: Adam | null;
  private lr: number;
  private misses = 0;

  constructor(readonly name: 'adam' | 'gd', theta0: Float64Array, private readonly o: OptimizerOptions, private readonly clamp: Clamp) {
    this.theta = theta0.slice();
    this.best = theta0.slice();
    this.lr = o.lr;
    this.adam = name === 'adam' ? new Adam(theta0.length, { lr: o.lr }) : null;
  }

  ask(): Proposal { return { thetas: [this.theta.slice()], gradient: true }; }

  tell(losses: number[], gradient?: Float64Array): void {
    if (!gradient) throw new Error(`${this.name}: told no gradient`);
    const L = losses[0];
    if (L <= this.bestLoss) {
      this.bestLoss = L;
      this.best = this.theta.slice();
      this.misses = 0;
    } else if (++this.misses >= (this.o.patience ?? 1)) { // overshot: back to the best point, half the rate
      this.theta = this.best.slice();
      this.lr *= 0.5;
      this.misses = 0;
      this.adam?.reset();
      if (this.adam) this.adam.lr = this.lr;
      return;
    }
    const g = shapeGradient(gradient, this.o);
    if (this.adam) this.adam.step(this.theta, g);
    else for (let i = 0; i < g.length; i++) this.theta[i] -= this.lr * g[i];
    this.clamp(this.theta);
  }

  backOff(): boolean {
    if (!Number.isFinite(this.bestLoss)) return false;
    this.theta = this.best.slice();
    this.lr *= 0.5;
    this.misses = 0;
    this.adam?.reset();
    if (this.adam) this.adam.lr = this.lr;
    return true;
  }

  describe(): string { return `lr ${this.lr.toPrecision(3)}`; }

  save(): unknown {
    return { theta: arr(this.theta), best: arr(this.best), bestLoss: this.bestLoss, lr: this.lr, misses: this.misses, adam: this.adam?.save() };
  }

  load(s: unknown): void {
    const v = s as { theta: number[]; best: number[]; bestLoss: number | null; lr: number; misses: number; adam?: unknown };
    this.theta = f64(v.theta);
    this.best = f64(v.best);
    this.bestLoss = v.bestLoss ?? Infinity; // JSON writes Infinity as null
    this.lr = v.lr;
    this.misses = v.misses;
    if (this.adam) { this.adam.load(v.adam); this.adam.lr = v.lr; }
  }
}

/** Cross-entropy method over a diagonal Gaussian; the mean is always evaluated first. */
class Cem implements Optimizer {
  readonly name = 'cem';
  private mean: Float64Array;
  private std: Float64Array;
  private readonly rand: Random;
  private readonly pop: number;
  private asked: Float64Array[] = [];
  /** Iterations in a row without a better elite mean (hybrid's stall test). */
  stalls = 0;
  private bestLoss = Infinity;
  bestTheta: Float64Array;

  constructor(theta0: Float64Array, private readonly o: OptimizerOptions, private readonly clamp: Clamp) {
    this.mean = theta0.slice();
    this.bestTheta = theta0.slice();
    this.std = new Float64Array(theta0.length).fill(o.sigma ?? 0.1);
    this.rand = new Random(o.seed);
    this.pop = o.population ?? 16;
  }

  get points(): number { return this.pop; }

  ask(): Proposal {
    const out = [this.mean.slice()];
    for (let k = 1; k < this.pop; k++) {
      const t = this.mean.map((m, i) => m + this.std[i] * this.rand.gauss());
      this.clamp(t);
      out.push(t);
    }
    this.asked = out;
    return { thetas: out.map((t) => t.slice()), gradient: false };
  }

  tell(losses: number[]): void {
    const order = losses.map((l, i) => [Number.isFinite(l) ? l : Infinity, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    if (order[0][0] < this.bestLoss) { this.bestLoss = order[0][0]; this.bestTheta = this.asked[order[0][1]].slice(); this.stalls = 0; } else this.stalls++;
    const k = Math.max(2, Math.round((this.o.elite ?? 0.25) * this.pop));
    const elites = order.slice(0, k).map(([, i]) => this.asked[i]);
    const n = this.mean.length, floor = 1e-3 * (this.o.sigma ?? 0.1);
    for (let i = 0; i < n; i++) {
      let m = 0; for (const e of elites) m += e[i] / k;
      let v = 0; for (const e of elites) v += (e[i] - m) ** 2 / k;
      this.mean[i] = m;
      // smoothed, with a floor, so one lucky draw does not collapse the search
      this.std[i] = Math.max(floor, 0.3 * this.std[i] + 0.7 * Math.sqrt(v));
    }
    this.clamp(this.mean);
  }

  describe(): string {
    return `sigma ${(norm(this.std) / Math.sqrt(this.std.length)).toPrecision(3)}`;
  }

  save(): unknown {
    return { mean: arr(this.mean), std: arr(this.std), rand: this.rand.state, stalls: this.stalls, bestLoss: this.bestLoss, bestTheta: arr(this.bestTheta) };
  }

  load(s: unknown): void {
    const v = s as { mean: number[]; std: number[]; rand: number; stalls: number; bestLoss: number | null; bestTheta: number[] };
    this.mean = f64(v.mean); this.std = f64(v.std); this.rand.state = v.rand; this.stalls = v.stalls;
    this.bestLoss = v.bestLoss ?? Infinity; this.bestTheta = f64(v.bestTheta);
  }
}

/** Antithetic SPSA / evolution strategies: the gradient from population losses, then Adam. */
class Spsa implements Optimizer {
  readonly name = 'spsa';
  private theta: Float64Array;
  private readonly adam: Adam;
  private readonly rand: Random;
  private readonly pairs: number;
  private eps: Float64Array[] = [];
  /** Each pair's perturbation: sigma, or less where theta +- sigma eps leaves the valid range; 0: the pair is not used. */
  private step: number[] = [];

  constructor(theta0: Float64Array, private readonly o: OptimizerOptions, private readonly clamp: Clamp) {
    this.theta = theta0.slice();
    this.adam = new Adam(theta0.length, { lr: o.lr });
    this.rand = new Random(o.seed);
    this.pairs = Math.max(1, Math.floor(((o.population ?? 16) - 1) / 2));
  }

  get points(): number { return 1 + 2 * this.pairs; }

  private get sigma(): number { return this.o.sigma ?? 0.1; }

  ask(): Proposal {
    // the points are not clamped, a clamped pair would bias the estimate: a pair that would leave the
    // valid range (a Poisson ratio past 0.5, which writeParams refuses) is shortened until it fits
    this.eps = Array.from({ length: this.pairs }, () => this.theta.map(() => this.rand.gauss()));
    this.step = this.eps.map((e) => this.pairStep(e));
    const out = [this.theta.slice()];
    this.eps.forEach((e, k) => {
      const h = this.step[k];
      out.push(this.theta.map((t, i) => t + h * e[i]));
      out.push(this.theta.map((t, i) => t - h * e[i]));
    });
    return { thetas: out, gradient: false };
  }

  /** sigma, halved (at most 20 times) until theta +- h eps both lie where the clamp leaves them; else 0. */
  private pairStep(e: Float64Array): number {
    const inside = (h: number) => {
      const p = this.theta.map((t, i) => t + h * e[i]);
      const c = p.slice();
      this.clamp(c);
      return c.every((x, i) => x === p[i]);
    };
    for (let h = this.sigma, k = 0; k <= 20; k++, h /= 2) if (inside(h) && inside(-h)) return h;
    return 0;
  }

  /** The estimate of the gradient from the last population's losses: a central difference along each pair's direction. */
  estimate(losses: number[]): Float64Array {
    const g = new Float64Array(this.theta.length);
    this.eps.forEach((e, k) => {
      const h = this.step[k] ?? this.sigma;
      if (h === 0) return; // no room on both sides of theta along e: the pair says nothing
      const d = (losses[1 + 2 * k] - losses[2 + 2 * k]) / (2 * h * this.pairs);
      if (Number.isFinite(d)) for (let i = 0; i < g.length; i++) g[i] += d * e[i];
    });
    return g;
  }

  tell(losses: number[]): void {
    this.adam.step(this.theta, shapeGradient(this.estimate(losses), this.o));
    this.clamp(this.theta);
  }

  describe(): string { return `lr ${this.adam.lr.toPrecision(3)}, sigma ${this.sigma.toPrecision(3)}`; }

  save(): unknown { return { theta: arr(this.theta), adam: this.adam.save(), rand: this.rand.state }; }

  load(s: unknown): void {
    const v = s as { theta: number[]; adam: unknown; rand: number };
    this.theta = f64(v.theta); this.adam.load(v.adam); this.rand.state = v.rand;
  }
}

/** cem, then adam from cem's best point once sampling stalls for 3 iterations or has had its share. */
class Hybrid implements Optimizer {
  readonly name = 'hybrid';
  private readonly cem: Cem;
  private descent: Descent | null = null;
  private iterations = 0;

  constructor(theta0: Float64Array, private readonly o: OptimizerOptions, private readonly clamp: Clamp) {
    this.cem = new Cem(theta0, o, clamp);
  }

  private get sampling(): boolean { return this.descent === null; }

  get points(): number { return this.cem.points; }

  ask(): Proposal {
    if (this.sampling && (this.iterations >= (this.o.sampleIterations ?? 10) || this.cem.stalls >= 3)) {
      this.descent = new Descent(this.o.refine ?? 'adam', this.cem.bestTheta, this.o, this.clamp);
    }
    return this.sampling ? this.cem.ask() : this.descent!.ask();
  }

  tell(losses: number[], gradient?: Float64Array): void {
    this.iterations++;
    if (this.sampling) this.cem.tell(losses); else this.descent!.tell(losses, gradient);
  }

  backOff(): boolean { return this.descent?.backOff() ?? false; }

  describe(): string { return this.sampling ? `sampling, ${this.cem.describe()}` : `refining, ${this.descent!.describe()}`; }

  save(): unknown { return { iterations: this.iterations, cem: this.cem.save(), descent: this.descent?.save() ?? null }; }

  load(s: unknown): void {
    const v = s as { iterations: number; cem: unknown; descent: unknown };
    this.iterations = v.iterations;
    this.cem.load(v.cem);
    if (v.descent) { this.descent = new Descent(this.o.refine ?? 'adam', this.cem.bestTheta, this.o, this.clamp); this.descent.load(v.descent); } else this.descent = null;
  }
}

/** The optimizer `name` starting at theta0; `clamp` keeps points inside the parameters' bounds. */
export function createOptimizer(name: OptimizerName, theta0: Float64Array, o: OptimizerOptions, clamp: Clamp): Optimizer {
  if (typeof clamp !== 'function') throw new TypeError(`createOptimizer: clamp is ${typeof clamp}: allowed a function that keeps theta in range (objective.clamp, params.clamp, or () => {})`);
  if (!(o.lr > 0)) throw new RangeError(`lr = ${o.lr}: allowed > 0`);
  if (o.clip !== undefined && !(o.clip > 0)) throw new RangeError(`clip = ${o.clip}: allowed > 0`);
  if (o.sigma !== undefined && !(o.sigma > 0)) throw new RangeError(`sigma = ${o.sigma}: allowed > 0`);
  if (o.population !== undefined && !(Number.isInteger(o.population) && o.population >= 3)) throw new RangeError(`population = ${o.population}: allowed an integer >= 3`);
  switch (name) {
    case 'adam': case 'gd': return new Told(new Descent(name, theta0, o, clamp), theta0.length);
    case 'cem': return new Told(new Cem(theta0, o, clamp), theta0.length);
    case 'spsa': return new Told(new Spsa(theta0, o, clamp), theta0.length);
    case 'hybrid': return new Told(new Hybrid(theta0, o, clamp), theta0.length);
    default: throw new RangeError(`optimizer '${name as string}': allowed ${optimizerNames.join(', ')}`);
  }
}

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : what.endsWith('s') ? 'es' : 's'}`;

/**
 * An optimizer whose tell() checks what it is told against its last ask(): one loss per point
 * asked, in order, and a gradient of theta's length. Told too few losses, cem fitted its elites
 * to the ones there were (and halved its mean) without a word.
 */
class Told implements Optimizer {
  private asked: number | null = null;
  constructor(private readonly inner: Optimizer, private readonly size: number) {}
  get name(): OptimizerName { return this.inner.name; }
  get points(): number | undefined { return this.inner.points; }

  ask(): Proposal {
    const p = this.inner.ask();
    this.asked = p.thetas.length;
    return p;
  }

  tell(losses: number[], gradient?: Float64Array): void {
    const who = `${this.inner.name}: tell()`;
    if (!Array.isArray(losses)) throw new RangeError(`${who} got ${typeof losses} for the losses: allowed an array of numbers, one per point of the last ask()`);
    if (this.asked !== null && losses.length !== this.asked) {
      throw new RangeError(`${who} got ${count(losses.length, 'loss')} for the ${count(this.asked, 'point')} of the last ask(): allowed one loss per point, in order`);
    }
    if (gradient !== undefined && gradient.length !== this.size) {
      throw new RangeError(`${who} got a gradient of ${gradient.length} numbers: allowed ${this.size}, one per entry of theta`);
    }
    // a blown-up point's loss is Infinity (objective.losses); a NaN would compare false with every
    // loss, and a NaN gradient would stay in Adam's moments
    const nan = losses.findIndex((l) => typeof l !== 'number' || Number.isNaN(l));
    if (nan >= 0) throw new RangeError(`${who}: losses[${nan}] = ${losses[nan]}: allowed a number, Infinity for a point that blew up`);
    const bad = gradient ? gradient.findIndex((g) => !Number.isFinite(g)) : -1;
    if (bad >= 0) throw new RangeError(`${who}: gradient[${bad}] = ${gradient![bad]} is not finite: allowed finite numbers (firstNonFiniteAdjoint names the step where a backward went bad)`);
    this.asked = null;
    this.inner.tell(losses, gradient);
  }

  backOff(): boolean { return this.inner.backOff?.() ?? false; }
  describe(): string { return this.inner.describe(); }
  save(): unknown { return this.inner.save(); }
  load(state: unknown): void { this.asked = null; this.inner.load(state); }
}
