// An optimizer trains the controller through the ordinary objective: Adam on the 'controller'
// block of a controlled spring chain (com-travel loss) lowers the loss clearly in a few iterations,
// and a population of weights is scored as batch copies in one rollout.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { SceneObjective } from '../../src/opt/objective';
import { Adam } from '../../src/opt/adam';
import type { Scene } from '../../src/simulators';
import { chain2d } from '../helpers/spring-scenes';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

test('Adam on the controller weights moves a spring chain further along x', async () => {
  const scene: Scene = {
    ...chain2d({ steps: 60 }),
    controller: { hidden: [16], inputs: ['com', 'velocity', 'phase'], periods: [0.04], seed: 1 },
    loss: { kind: 'com-travel', axis: 0, direction: 1 },
  };
  const obj = await SceneObjective.create(gpu, scene, { params: ['controller'], steps: 60 });
  try {
    const theta = obj.initial();
    const adam = new Adam(theta.length, { lr: 0.05 });
    const first = await obj.gradient(theta);
    let last = first;
    for (let k = 0; k < 10; k++) {
      adam.step(theta, last.gradient);
      last = await obj.gradient(theta);
    }
    console.log(`controller training: loss ${first.loss.toExponential(3)} -> ${last.loss.toExponential(3)}`);
    expect(last.loss).toBeLessThan(first.loss - 0.1 * Math.abs(first.loss));
    // a population of weights in one batched rollout: the trained point scores as its single run
    const [a, b] = await obj.losses([obj.initial(), theta]);
    expect(a).toBeCloseTo(first.loss, 6);
    expect(b).toBeCloseTo(last.loss, 6);
  } finally {
    obj.destroy();
  }
});
