// A scene's loss as an optimizer sees it: a population evaluated as batch copies in one rollout
// scores each point exactly as a rollout of that point alone does (the same bytes), for MPM and
// springs; and the gradient at a point is the rollout's.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { SceneObjective } from '../../src/opt/objective';
import type { Scene } from '../../src/simulators';
import { chain2d } from '../helpers/spring-scenes';
import { tinyScene } from '../helpers/tiny-scenes';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

const f32 = (x: number) => Math.fround(x);

const cases: [string, () => Scene, string[]][] = [
  ['2D chain robot (actuation, a material)', () => ({ ...chain2d({ steps: 30 }), loss: { kind: 'com-target', target: [0.4, 0.2] } }), ['actuation', 'materials[0].stiffness']],
  ['2D MPM jelly (initial velocity, E)', () => ({ ...tinyScene({ dim: 2, material: 'elastic', seed: 4 }), steps: 20, loss: { kind: 'com-target', target: [0.5, 0.3] } }), ['initialVelocity', 'groups[0].E']],
];

for (const [name, build, params] of cases) {
  test(`${name}: a population's batch copies score each point as its own rollout does`, async () => {
    const scene = build();
    const obj = await SceneObjective.create(gpu, scene, { params, steps: scene.steps });
    try {
      const theta0 = obj.initial();
      const points = [0, 1, 2, 3, 4].map((k) => theta0.map((t, i) => t * (1 + 0.05 * Math.sin(k + i)) + 0.01 * k));
      points.forEach(obj.clamp);
      const batched = await obj.losses(points, 6); // 6 copies, 5 points: the last copy repeats a point
      const alone: number[] = [];
      for (const p of points) alone.push((await obj.gradient(p)).loss);
      expect(batched).toEqual(alone);
      expect(new Set(batched.map(f32)).size).toBe(5); // the points differ, and so do their losses
      // the gradient at a point is the rollout's: it moves the loss as a small step predicts
      const g = await obj.gradient(points[0]);
      const norm = Math.hypot(...g.gradient);
      expect(norm).toBeGreaterThan(0);
      const h = 1e-3 / norm;
      const [up, down] = await obj.losses([points[0].map((t, i) => t + h * g.gradient[i]), points[0].map((t, i) => t - h * g.gradient[i])]);
      expect((up - down) / (2 * h)).toBeCloseTo(norm * norm, -Math.log10(0.05 * norm * norm));
    } finally {
      obj.destroy();
    }
  });
}

/** A 2D spring chain with a com-target loss, over its `steps`. */
const chainScene = (steps: number): Scene => ({ ...chain2d({ steps }), loss: { kind: 'com-target', target: [0.4, 0.2] } });
const stiffnessObjective = (scene: Scene) => SceneObjective.create(gpu, scene, { params: ['materials[0].stiffness'], steps: scene.steps });

test('losses() at more points than an earlier call made room for makes a larger population, with the same scores', async () => {
  // the first losses() call sized the population for good: a later, larger one threw
  // 'a population of 4: this objective holds 2 points' (docs/library.md promised many points)
  const obj = await stiffnessObjective(chainScene(20));
  try {
    const at = (k: number) => Float64Array.of(1 + 0.1 * k);
    const two = await obj.losses([at(0), at(1)]);
    const four = await obj.losses([at(0), at(1), at(2), at(3)]);
    expect(four.slice(0, 2)).toEqual(two);
    expect(four[3]).toBe((await obj.gradient(at(3))).loss);
    expect(await obj.losses([at(2)])).toEqual([four[2]]);
  } finally {
    obj.destroy();
  }
});

test('losses() at no points is refused by name, before a population of no copies is made', async () => {
  // it made a batch of 0 copies: Dawn warned of dispatches of 0 workgroups, and [] came back
  const obj = await stiffnessObjective(chainScene(10));
  try {
    await expect(obj.losses([])).rejects.toThrow('losses: no points: allowed at least one theta');
    await expect(obj.preparePopulation(0)).rejects.toThrow('preparePopulation: points = 0: allowed an integer >= 1');
    expect(await obj.losses([obj.initial()])).toEqual([(await obj.gradient(obj.initial())).loss]);
  } finally {
    obj.destroy();
  }
});

test('options without params or with a bad steps are refused by name, before any GPU work', async () => {
  // without params a JavaScript caller got "Cannot read properties of undefined (reading 'map')"
  const scene = chainScene(10);
  const bad = (o: unknown) => SceneObjective.create(gpu, scene, o as Parameters<typeof SceneObjective.create>[2]);
  await expect(bad({ steps: 10 })).rejects.toThrow('params = undefined: allowed a non-empty array of parameter names');
  await expect(bad({ params: [], steps: 10 })).rejects.toThrow('params = []: allowed a non-empty array');
  await expect(bad({ params: ['materials[0].stiffness'] })).rejects.toThrow('steps = undefined: allowed an integer >= 1');
  await expect(bad({ params: ['materials[0].stiffness'], steps: 2.5 })).rejects.toThrow('steps = 2.5: allowed an integer >= 1');
  // past the scene's steps its per-step controls would hold their last row (a periodic gait stopped):
  // refused as --steps is, where the library ran it
  await expect(bad({ params: ['materials[0].stiffness'], steps: 11 })).rejects.toThrow("steps = 11: allowed at most the scene's 10 (scene.steps");
  // a window short of the initial state or of an observed step would drop their gradient silently,
  // where --window refuses (the same rule, windowProblem)
  await expect(bad({ params: ['initialVelocity'], steps: 10, window: 4 })).rejects.toThrow("window = 4: 'initialVelocity' sets the initial state, which the last 4 of 10 steps do not reach back to");
  const observed = { ...scene, loss: { kind: 'com-target' as const, target: [0.5, 0.5], step: 3 } };
  await expect(SceneObjective.create(gpu, observed, { params: ['materials[0].stiffness'], steps: 10, window: 5 })).rejects.toThrow('window = 5: loss.step = 3 observes a step the last 5 of 10 do not reach back to, so its gradient would be dropped; allowed at least 8');
  await expect(bad({ params: ['materials[0].stiffness'], steps: 10, window: 0 })).rejects.toThrow('window = 0: allowed an integer >= 1');
});
