// optimize.goals 'stratified': each gradient of a shared controller is taken at goals drawn afresh
// over the listed goals' range, one in each of S equal parts, seeded by (seed, iteration). The draw
// covers the range and repeats for the same (seed, draw); the gradient equals that of the drawn goals
// listed outright, bit for bit, and the loss is the listed goals' (the fixed yardstick); a run stopped
// and resumed draws what the uninterrupted run draws, so it ends on the same bytes.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { SceneObjective } from '../../src/opt/objective';
import { stratifiedGoals } from '../../src/opt/goal-draw';
import { optimizeScene } from '../../src/cli/optimize';
import { validateScene } from '../../src/mpm/validate';
import type { Scene } from '../../src/simulators';
import { chain2d } from '../helpers/spring-scenes';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

const listed = [[0.1], [0.2], [0.3], [0.4]];

test('a draw puts one goal in each of S equal parts of the range, repeats for its (seed, draw) and differs between draws', () => {
  const seen: number[][] = listed.map(() => []);
  for (let d = 0; d < 200; d++) {
    const g = stratifiedGoals(listed, 7, d);
    expect(g).toEqual(stratifiedGoals(listed, 7, d));
    g.forEach(([x], j) => {
      expect(x).toBeGreaterThanOrEqual(0.1 + 0.075 * j);
      expect(x).toBeLessThan(0.1 + 0.075 * (j + 1));
      seen[j].push(x);
    });
  }
  // each part is covered end to end over the draws, and neighbouring draws and seeds differ
  for (const [j, xs] of seen.entries()) {
    expect(Math.min(...xs)).toBeLessThan(0.1 + 0.075 * j + 0.01);
    expect(Math.max(...xs)).toBeGreaterThan(0.1 + 0.075 * (j + 1) - 0.01);
  }
  expect(stratifiedGoals(listed, 7, 1)).not.toEqual(stratifiedGoals(listed, 7, 0));
  expect(stratifiedGoals(listed, 8, 0)).not.toEqual(stratifiedGoals(listed, 7, 0));
  // two components: each one's S values fall one to a part (a Latin hypercube)
  const two = stratifiedGoals([[0, 10], [1, 20], [2, 30]], 3, 5);
  for (const [k, [lo, hi]] of [[0, 2], [10, 30]].entries()) {
    const parts = two.map((g) => Math.floor(((g[k] - lo) / (hi - lo)) * 3)).sort();
    expect(parts).toEqual([0, 1, 2]);
  }
});

function chainScene(goals: 'listed' | 'stratified' = 'stratified'): Scene {
  return {
    ...chain2d({ steps: 30 }),
    controller: { hidden: [8], inputs: ['com', 'velocity', 'phase', 'goal'], periods: [0.02], goal: listed, seed: 5 },
    loss: { kind: 'com-speed', axis: 0 },
    optimize: { params: ['controller'], learningRate: 0.01, iterations: 4, goals },
  };
}

test('the gradient is the drawn goals\' gradient bit for bit, the loss the listed goals\'', async () => {
  const scene = chainScene();
  const o = { params: ['controller'], steps: 30 };
  const drawing = await SceneObjective.create(gpu, scene, { ...o, draws: { seed: 4 } });
  const atDraw = await SceneObjective.create(gpu, scene, { ...o, goals: stratifiedGoals(listed, 4, 3) });
  const atList = await SceneObjective.create(gpu, scene, o);
  try {
    const theta = drawing.initial().map((x, i) => x + 0.05 * Math.sin(i));
    const got = await drawing.gradient(theta, 3);
    const want = await atDraw.gradient(theta);
    expect(got.drawn).toEqual(stratifiedGoals(listed, 4, 3));
    expect(new Uint8Array(got.gradient.buffer)).toEqual(new Uint8Array(want.gradient.buffer));
    const yard = await atList.value(theta);
    expect(got.loss).toBe(yard.loss);
    expect(got.copies).toEqual(yard.copies);
    expect(got.loss).not.toBe(want.loss);
    // another draw, another gradient; the yardstick stays
    const other = await drawing.gradient(theta, 4);
    expect(other.gradient).not.toEqual(got.gradient);
    expect(other.loss).toBe(yard.loss);
  } finally {
    for (const x of [drawing, atDraw, atList]) x.destroy();
  }
}, 60_000);

test('a stratified run stopped after 2 iterations and resumed ends where the uninterrupted run ends, byte for byte', async () => {
  const tmp = () => join(mkdtempSync(join(tmpdir(), 'torsion-draw-')), 'run');
  const whole = await optimizeScene(chainScene(), { out: tmp(), quiet: true, seed: 9 });
  const cut = await optimizeScene(chainScene(), { out: tmp(), quiet: true, seed: 9, iterations: 2 });
  const resumed = await optimizeScene(undefined, { resume: cut.dir, quiet: true, iterations: 4 });
  expect(resumed.losses).toEqual(whole.losses);
  expect(readFileSync(join(cut.dir, 'best.json'), 'utf8')).toBe(readFileSync(join(whole.dir, 'best.json'), 'utf8'));
  // the draws matter: the listed goals alone take another path
  const plain = await optimizeScene(chainScene('listed'), { out: tmp(), quiet: true, seed: 9 });
  expect(plain.losses[0]).toBe(whole.losses[0]);
  expect(plain.losses.slice(1)).not.toEqual(whole.losses.slice(1));
}, 120_000);

test("optimize.goals 'stratified' without several goals is refused, naming the field", () => {
  const one = { ...chainScene(), controller: { ...chainScene().controller!, goal: [0.2] } };
  expect(() => validateScene(one)).toThrow(/optimize\.goals.*several goals/s);
  const bad = { ...chainScene(), optimize: { ...chainScene().optimize!, goals: 'random' } };
  expect(() => validateScene(bad as unknown as Scene)).toThrow(/optimize\.goals/);
});
