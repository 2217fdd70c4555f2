// Whole-rollout gradients (GPU adjoint, float32) against central finite differences of the float64
// reference, for every material in 2D and 3D, with actuation and a moving collider.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/sim/device';
import { gradcheckScene } from '../../src/sim/gradcheck';
import { tinyScene, type TinyOptions } from '../helpers/tiny-scenes';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

const cases: [string, TinyOptions, number][] = [
  ['2D elastic, actuated, collider', { dim: 2, material: 'elastic', actuated: true, collider: true }, 1],
  ['2D fluid', { dim: 2, material: 'fluid' }, 2],
  ['2D elastoplastic, actuated', { dim: 2, material: 'elastoplastic', actuated: true }, 3],
  ['3D elastic, collider', { dim: 3, material: 'elastic', collider: true }, 4],
  ['3D fluid', { dim: 3, material: 'fluid' }, 5],
  ['3D elastoplastic, actuated', { dim: 3, material: 'elastoplastic', actuated: true }, 6],
];

for (const [name, opts, seed] of cases) {
  test(`gradcheck ${name}`, async () => {
    const rep = await gradcheckScene(gpu, tinyScene({ ...opts, seed }), { seed, steps: 50 });
    for (const c of rep.checks) console.log(`${name} ${c.param}: ${c.analytic.toExponential(5)} vs ${c.numeric.toExponential(5)} rel ${c.relError.toExponential(2)} |g| ${c.gradNorm.toExponential(2)}`);
    expect(rep.checks.filter((c) => !c.ok)).toEqual([]);
  });
}
