// Shared parameters: one controller commanded several speeds, S batch copies with the same theta in
// one batched forward and backward. Its loss is the mean of the copies' and its gradient the mean of
// the gradients each copy's own batch-1 run gives, bit for bit: a batch copy equals its single run
// bit for bit (tests/control/batch.test.ts), and the mean adds the same float64 numbers in the same
// order. Repeated runs give the same bytes; a population of shared points scores as each point does.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { SceneObjective } from '../../src/opt/objective';
import type { Scene } from '../../src/simulators';
import { chain2d } from '../helpers/spring-scenes';
import { tinyScene } from '../helpers/tiny-scenes';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

const goals = [[0.2], [-0.1], [0.5]];
const controller = { hidden: [8], inputs: ['com', 'velocity', 'phase', 'goal'] as const, periods: [0.02], goal: goals, seed: 5 };

const cases: [string, () => Scene, number][] = [
  ['spring chain', () => ({ ...chain2d({ steps: 40 }), controller: { ...controller, inputs: [...controller.inputs] }, loss: { kind: 'com-speed', axis: 0 } }), 40],
  ['MPM body', () => ({ ...tinyScene({ dim: 2, material: 'elastic', actuated: true }), steps: 12, controller: { ...controller, inputs: [...controller.inputs] }, loss: { kind: 'com-speed', group: 1, axis: 0 } }), 12],
];

for (const [name, build, steps] of cases) {
  test(`${name}: the shared gradient over ${goals.length} commanded speeds is the mean of each speed's own batch-1 gradient, bit for bit`, async () => {
    const scene = build();
    const shared = await SceneObjective.create(gpu, scene, { params: ['controller'], steps, checkpoint: 'auto' });
    const singles = await Promise.all(goals.map((g) => SceneObjective.create(gpu, scene, { params: ['controller'], steps, checkpoint: 'auto', goals: [g] })));
    try {
      expect(shared.shared).toBe(goals.length);
      expect(shared.sim.batch).toBe(goals.length);
      const theta = shared.initial().map((x, i) => x + 0.05 * Math.sin(i));
      const got = await shared.gradient(theta);
      const each = [];
      for (const s of singles) each.push(await s.gradient(theta));
      const want = new Float64Array(theta.length);
      for (const e of each) e.gradient.forEach((g, i) => { want[i] += g; });
      want.forEach((_, i) => { want[i] /= goals.length; });
      expect(got.copies).toEqual(each.map((e) => e.loss));
      expect(got.loss).toBe(each.reduce((a, e) => a + e.loss, 0) / goals.length);
      expect(got.report).toEqual(each.map((e) => e.report![0]));
      expect(new Uint8Array(got.gradient.buffer)).toEqual(new Uint8Array(want.buffer));
      // the copies' speeds differ, so do their gradients: the mean is not one copy's
      expect(new Set(got.copies).size).toBe(goals.length);
      expect(Math.hypot(...got.gradient)).toBeGreaterThan(0);
      // the same bytes again
      const again = await shared.gradient(theta);
      expect(new Uint8Array(again.gradient.buffer)).toEqual(new Uint8Array(got.gradient.buffer));
      // a population of shared points: 2 points x 3 copies in one rollout, each scored as the point alone
      const other = theta.map((x, i) => x - 0.03 * Math.cos(i));
      const pop = await shared.losses([theta, other]);
      expect(pop).toEqual([got.loss, (await shared.value(other)).loss]);
    } finally {
      shared.destroy();
      for (const s of singles) s.destroy();
    }
  }, 60_000);
}
