// The controller tasks on a small budget: one MLP controller shared by four batch copies, each
// commanded one speed, trained with the scene's own optimizer settings; the mean com-speed loss
// falls clearly in a few iterations. Whether the default run reaches the scene's threshold, and
// how well untrained speeds are held, is measured by `torsion optimize` and
// scripts/controller-eval.ts (their numbers are in docs/design.md).
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { SceneObjective } from '../../src/opt/objective';
import { createOptimizer } from '../../src/opt/optimizers';
import { initialLoopState, iterate } from '../../src/opt/loop';
import { DEFAULT_LEARNING_RATE } from '../../src/opt/session';
import { optimizeParams } from '../../src/mpm/scene';
import { buildScene } from '../../scenes/index';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

async function run(name: string, iters: number, steps?: number): Promise<number[]> {
  const scene = buildScene(name);
  const so = scene.optimize!;
  const obj = await SceneObjective.create(gpu, scene, { params: optimizeParams(so), steps: steps ?? scene.steps, ...(so.goals === 'stratified' ? { draws: { seed: 1 } } : {}) });
  try {
    expect(obj.shared).toBe(4);
    const theta0 = obj.initial();
    const opt = createOptimizer(so.optimizer ?? 'adam', theta0, { lr: so.learningRate ?? DEFAULT_LEARNING_RATE, seed: 1, clip: so.clip, patience: so.patience }, obj.clamp);
    const state = initialLoopState(theta0);
    const losses: number[] = [];
    for (let k = 0; k < iters; k++) losses.push((await iterate(obj, opt, state, { population: 1 })).record.loss);
    console.log(`${name}: losses ${losses.map((l) => l.toExponential(3)).join(' ')}`);
    return losses;
  } finally {
    obj.destroy();
  }
}

test('spring-walker-2d: the shared controller tracks its four speeds better after 3 iterations', async () => {
  const losses = await run('spring-walker-2d', 3);
  expect(Math.min(...losses.slice(1))).toBeLessThan(0.7 * losses[0]);
}, 120_000);

test('mpm-walker-mlp-2d: the shared controller tracks its four speeds better after 4 iterations (a quarter of the horizon)', async () => {
  const losses = await run('mpm-walker-mlp-2d', 4, 100);
  expect(Math.min(...losses.slice(1))).toBeLessThan(0.5 * losses[0]);
}, 180_000);
