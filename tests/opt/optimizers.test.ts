// The optimizers on closed-form losses: each one lowers a shifted, badly scaled quadratic; a run
// saved and loaded midway continues exactly as the uninterrupted one; clipping and normalization
// shape the step; and the options are checked.
import { describe, expect, test } from 'vitest';
import { createOptimizer, optimizerNames, shapeGradient, type Optimizer, type OptimizerName, type OptimizerOptions } from '../../src/opt/optimizers';

const target = Float64Array.of(0.7, -0.4, 0.2, 1.1);
const scale = Float64Array.of(1, 4, 0.5, 2);
const loss = (t: Float64Array) => t.reduce((s, x, i) => s + scale[i] * (x - target[i]) ** 2, 0);
const grad = (t: Float64Array) => t.map((x, i) => 2 * scale[i] * (x - target[i]));
const clampBox = (t: Float64Array) => { for (let i = 0; i < t.length; i++) t[i] = Math.min(3, Math.max(-3, t[i])); };

const options: Record<OptimizerName, OptimizerOptions> = {
  adam: { lr: 0.1, seed: 1 },
  gd: { lr: 0.05, seed: 1 },
  cem: { lr: 0.1, seed: 1, population: 24, sigma: 0.5 },
  spsa: { lr: 0.1, seed: 1, population: 17, sigma: 0.05 },
  hybrid: { lr: 0.05, seed: 1, population: 24, sigma: 0.5, sampleIterations: 8 },
};

/** Runs `iters` iterations, returning the loss at the current point each time. */
function run(opt: Optimizer, iters: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < iters; k++) {
    const { thetas, gradient } = opt.ask();
    const losses = thetas.map(loss);
    out.push(losses[0]);
    opt.tell(losses, gradient ? grad(thetas[0]) : undefined);
  }
  return out;
}

describe('every optimizer', () => {
  for (const name of optimizerNames) {
    test(`${name} lowers a badly scaled quadratic 20x, and a saved run resumes bit for bit`, () => {
      const theta0 = new Float64Array(4);
      const a = createOptimizer(name, theta0, options[name], clampBox);
      const whole = run(a, 60);
      expect(Math.min(...whole)).toBeLessThan(loss(theta0) / 20);
      const b = createOptimizer(name, theta0, options[name], clampBox);
      const first = run(b, 25);
      // through JSON, as state.json carries it
      const c = createOptimizer(name, theta0, options[name], clampBox);
      c.load(JSON.parse(JSON.stringify(b.save())));
      expect([...first, ...run(c, 35)]).toEqual(whole);
    });
  }
});

test('a gradient step restarts from the best point with half the rate when the loss rises', () => {
  const opt = createOptimizer('gd', Float64Array.of(1), { lr: 1.2, seed: 1 }, () => {});
  const f = (t: Float64Array) => t[0] ** 2, g = (t: Float64Array) => Float64Array.of(2 * t[0]);
  const seen: number[] = [];
  for (let k = 0; k < 6; k++) {
    const { thetas } = opt.ask();
    seen.push(thetas[0][0]);
    opt.tell([f(thetas[0])], g(thetas[0]));
  }
  // 1 -> 1 - 2.4 = -1.4 (worse: back to 1 at rate 0.6) -> 1 - 1.2 = -0.2 -> ...
  expect(seen.slice(0, 4).map((x) => +x.toFixed(6))).toEqual([1, -1.4, 1, -0.2]);
  expect(Math.abs(seen[5])).toBeLessThan(0.05);
});

test('clip scales a long gradient down to its norm; normalize makes it a unit vector', () => {
  const g = Float64Array.of(3, 4);
  expect(Array.from(shapeGradient(g, { clip: 1 }))).toEqual([0.6, 0.8]);
  expect(Array.from(shapeGradient(g, { clip: 10 }))).toEqual([3, 4]);
  expect(Array.from(shapeGradient(g, { normalize: true }))).toEqual([0.6, 0.8]);
});

test('the population of cem and spsa starts with the current point, and spsa pairs are antithetic', () => {
  const theta0 = Float64Array.of(0.3, -0.2);
  const spsa = createOptimizer('spsa', theta0, { lr: 0.1, seed: 3, population: 9, sigma: 0.01 }, () => {}).ask();
  expect(spsa.thetas).toHaveLength(9);
  expect(Array.from(spsa.thetas[0])).toEqual([0.3, -0.2]);
  for (let k = 1; k < 9; k += 2) spsa.thetas[k].forEach((x, i) => expect(x + spsa.thetas[k + 1][i]).toBeCloseTo(2 * theta0[i], 12));
  const cem = createOptimizer('cem', theta0, { lr: 0.1, seed: 3, population: 6 }, () => {}).ask();
  expect(cem.thetas).toHaveLength(6);
  expect(cem.gradient).toBe(false);
  expect(Array.from(cem.thetas[0])).toEqual([0.3, -0.2]);
});

test('a sampling iteration evaluates the population it is given: cem all of it, spsa the current point and whole antithetic pairs', () => {
  const theta0 = Float64Array.of(0.3, -0.2), c = () => {};
  const cem = createOptimizer('cem', theta0, { lr: 0.1, seed: 3, population: 3 }, c);
  expect(cem.ask().thetas).toHaveLength(3);
  expect(cem.points).toBe(3);
  expect(createOptimizer('hybrid', theta0, { lr: 0.1, seed: 3, population: 3 }, c).points).toBe(3);
  for (const [population, points] of [[4, 3], [5, 5], [16, 15]]) {
    const spsa = createOptimizer('spsa', theta0, { lr: 0.1, seed: 3, population }, c);
    expect(spsa.ask().thetas).toHaveLength(points);
    expect(spsa.points).toBe(points);
  }
  expect(createOptimizer('adam', theta0, { lr: 0.1, seed: 3 }, c).points).toBeUndefined();
});

test('bad options are refused with the value and the allowed range', () => {
  const t = new Float64Array(2), c = () => {};
  expect(() => createOptimizer('adam', t, { lr: 0, seed: 1 }, c)).toThrow(/lr = 0: allowed > 0/);
  expect(() => createOptimizer('cem', t, { lr: 1, seed: 1, population: 2 }, c)).toThrow(/population = 2: allowed an integer >= 3/);
  expect(() => createOptimizer('spsa', t, { lr: 1, seed: 1, sigma: -1 }, c)).toThrow(/sigma = -1: allowed > 0/);
  expect(() => createOptimizer('newton' as OptimizerName, t, { lr: 1, seed: 1 }, c)).toThrow(/optimizer 'newton': allowed adam, gd, cem, spsa, hybrid/);
  // a JavaScript caller leaving the clamp out got 'this.clamp is not a function' from the first tell()
  expect(() => createOptimizer('cem', t, { lr: 1, seed: 1 }, undefined as never)).toThrow('createOptimizer: clamp is undefined: allowed a function');
});

test('tell() refuses a NaN loss and a non-finite gradient by entry, and leaves the optimizer as it was (Adam kept a NaN in its moments for good)', () => {
  const theta0 = Float64Array.of(0.5, 0.5, 0.5, 0.5);
  const adam = createOptimizer('adam', theta0, options.adam, clampBox);
  adam.ask();
  adam.tell([1], Float64Array.of(1, 1, 1, 1));
  const before = adam.save();
  adam.ask();
  expect(() => adam.tell([0.5], Float64Array.of(1, NaN, 1, 1))).toThrow('adam: tell(): gradient[1] = NaN is not finite: allowed finite numbers');
  expect(() => adam.tell([NaN], Float64Array.of(1, 1, 1, 1))).toThrow('adam: tell(): losses[0] = NaN: allowed a number, Infinity for a point that blew up');
  expect(adam.save()).toEqual(before);
  adam.tell([0.5], Float64Array.of(1, 1, 1, 1));
  expect(adam.ask().thetas[0].every(Number.isFinite)).toBe(true);
  // a point that blew up is told as Infinity, and goes through
  const cem = createOptimizer('cem', theta0, options.cem, clampBox);
  const { thetas } = cem.ask();
  cem.tell(thetas.map((th, k) => (k === 2 ? Infinity : loss(th))));
});

test('tell() refuses losses that do not match the points ask() gave, and a gradient of the wrong length, by name', () => {
  // cem told one loss for its 24 points halved its mean without a word (its elites were 1 of 2)
  const theta0 = Float64Array.of(0, 0, 0, 0);
  const cem = createOptimizer('cem', theta0, options.cem, clampBox);
  const before = cem.save();
  cem.ask();
  expect(() => cem.tell([1])).toThrow('cem: tell() got 1 loss for the 24 points of the last ask(): allowed one loss per point, in order');
  cem.load(before);
  expect(cem.save()).toEqual(before);
  const adam = createOptimizer('adam', theta0, options.adam, clampBox);
  adam.ask();
  expect(() => adam.tell([1], new Float64Array(3))).toThrow('adam: tell() got a gradient of 3 numbers: allowed 4, one per entry of theta');
  expect(() => adam.tell([1, 2], new Float64Array(4))).toThrow('adam: tell() got 2 losses for the 1 point of the last ask()');
  const spsa = createOptimizer('spsa', theta0, options.spsa, clampBox);
  const { thetas } = spsa.ask();
  expect(() => spsa.tell(thetas.slice(1).map(loss))).toThrow(`spsa: tell() got ${thetas.length - 1} losses for the ${thetas.length} points`);
  spsa.tell(thetas.map(loss)); // the right count goes through
});

test('spsa keeps its pairs inside the valid range: near a bound a pair is shortened, not clamped, and the estimate is still the slope', () => {
  // theta 0.95 of a parameter clamped to at most 1 (nu / nu0 under 0.5): the pairs at sigma 0.5 would
  // cross it, and writeParams refused the whole population ("groups[0].nu = 1.41 ... allowed <= 0.5")
  const clampTop = (t: Float64Array) => { for (let i = 0; i < t.length; i++) t[i] = Math.min(1, t[i]); };
  const slope = Float64Array.of(3, -2);
  const linear = (t: Float64Array) => t.reduce((s, x, i) => s + slope[i] * x, 0);
  const spsa = createOptimizer('spsa', Float64Array.of(0.95, 0.2), { lr: 0.01, seed: 5, population: 41, sigma: 0.5 }, clampTop);
  const { thetas } = spsa.ask();
  for (const t of thetas) {
    const c = t.slice();
    clampTop(c);
    expect(Array.from(c)).toEqual(Array.from(t)); // every point as asked: nothing left for a clamp to change
  }
  for (let k = 1; k < thetas.length; k += 2) thetas[k].forEach((x, i) => expect(x + thetas[k + 1][i]).toBeCloseTo(2 * thetas[0][i], 12));
  // the estimate from the shortened pairs still points along the slope: Adam's first step is lr
  // against its sign in each entry
  spsa.tell(thetas.map(linear));
  const next = spsa.ask().thetas[0];
  expect(next[0]).toBeCloseTo(0.94, 6);
  expect(next[1]).toBeCloseTo(0.21, 6);
});
