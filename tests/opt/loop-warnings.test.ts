// What an optimization warns about in its first iteration: a parameter whose gradient is exactly
// zero is one the loss does not see in this rollout (here a collider held far from the body), and
// gradient steps would leave it where it is, iteration after iteration, without a word.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { SceneObjective } from '../../src/opt/objective';
import { createOptimizer } from '../../src/opt/optimizers';
import { initialLoopState, iterate, zeroParts } from '../../src/opt/loop';
import { tinyScene } from '../helpers/tiny-scenes';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

test('zeroParts names the parts whose gradient entries are all exactly zero', () => {
  const parts = [{ name: 'a', size: 2 }, { name: 'b', size: 3 }, { name: 'c', size: 1 }, { name: 'empty', size: 0 }];
  expect(zeroParts(parts, [0, 1e-30, 0, 0, 0, 0])).toEqual(['b', 'c']);
  expect(zeroParts(parts, [1, 0, 0, -0, 2, 3])).toEqual([]);
});

async function firstRecord(params: string[]) {
  const scene = { ...tinyScene({ dim: 2, material: 'elastic', seed: 9, collider: true }), steps: 10, loss: { kind: 'com-target' as const, target: [0.5, 0.3] } };
  // the paddle held in the far corner: the body, at 0.3-0.5, never reaches it
  const c = scene.colliders[0];
  c.position = [[0.8, 0.8]];
  c.velocity = [[0, 0]];
  c.orientation = [[0]];
  c.angularVelocity = [[0]];
  const obj = await SceneObjective.create(gpu, scene, { params, steps: scene.steps });
  try {
    const theta0 = obj.initial();
    const opt = createOptimizer('adam', theta0, { lr: 0.01, seed: 1 }, obj.clamp);
    return (await iterate(obj, opt, initialLoopState(theta0), { population: 1 })).record;
  } finally {
    obj.destroy();
  }
}

test('the first iteration names a parameter the loss does not depend on, and only that one', async () => {
  const r = await firstRecord(['initialVelocity', 'colliders[0].velocity']);
  console.log(r.warning);
  expect(r.warning).toMatch(/^the gradient of 'colliders\[0\]\.velocity' is exactly zero: the loss does not depend on it in this rollout/);
  // the page's own advice (it has no command-line options), not its advice on exploding gradients
  expect(r.pageAdvice).toContain('optimize.params');
  expect((await firstRecord(['initialVelocity'])).warning).toBeUndefined();
});

test("back at the best point, adam reuses that point's gradient: the same iterations, fewer rollouts", async () => {
  // a large rate overshoots, so adam goes back to the best point (patience 1) several times
  const scene = { ...tinyScene({ dim: 2, material: 'elastic', seed: 9 }), steps: 10, loss: { kind: 'com-target' as const, target: [0.45, 0.3] } };
  const run = async (reuse: boolean) => {
    const obj = await SceneObjective.create(gpu, scene, { params: ['initialVelocity'], steps: scene.steps });
    let rollouts = 0;
    const gradient = obj.gradient.bind(obj);
    obj.gradient = (theta, iteration) => { rollouts++; return gradient(theta, iteration); };
    try {
      const theta0 = obj.initial();
      const opt = createOptimizer('adam', theta0, { lr: 2, seed: 1 }, obj.clamp);
      let state = initialLoopState(theta0);
      const records = [];
      for (let k = 0; k < 12; k++) {
        // a copy of the state each iteration is a run that never kept the best point's gradient
        if (!reuse) state = structuredClone(state);
        const { seconds: _s, ...r } = (await iterate(obj, opt, state, { population: 1 })).record;
        records.push(r);
      }
      return { records, rollouts };
    } finally {
      obj.destroy();
    }
  };
  const kept = await run(true), fresh = await run(false);
  console.log(`12 adam iterations: ${kept.rollouts} rollouts with the best point's gradient kept, ${fresh.rollouts} without`);
  expect(kept.records).toEqual(fresh.records);
  expect(fresh.rollouts).toBe(12);
  expect(kept.rollouts).toBeLessThan(12);
});
