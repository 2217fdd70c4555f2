// Whole-rollout gradients (GPU adjoint, float32) against central finite differences of the float64
// reference, for every material in 2D and 3D, with actuation and a moving collider.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { gradcheckScene } from '../../src/mpm/gradcheck-subject';
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

test('gradcheck reports a sharp collider edge as a kink instead of failing', async () => {
  // A box with no rounding sinking into the body: its position changes which nodes it covers, in
  // jumps; along such a direction finite differences do not converge and nothing is compared.
  const scene = tinyScene({ dim: 2, material: 'elastic', collider: true, seed: 9 });
  const c = scene.colliders[0];
  c.radius = 0;
  delete c.orientation; // axis-aligned and not turning, so that its bottom face can lie on a row of nodes
  delete c.angularVelocity;
  // resting with its bottom face exactly on a row of grid nodes inside the body: any downward
  // perturbation of its position pulls that whole row inside
  const dx = scene.grid.dx;
  c.position = [[0.4, 15 * dx + c.halfExtents![1]]];
  c.velocity = [[0.05, -0.2]];
  const rep = await gradcheckScene(gpu, scene, { seed: 9, steps: 20 });
  for (const k of rep.checks) console.log(`sharp collider ${k.param}: ${k.analytic.toExponential(4)} vs ${k.numeric.toExponential(4)} smooth ${k.smooth}`);
  expect(rep.ok).toBe(true);
  const pos = rep.checks.find((k) => k.param === 'colliders.position')!;
  const vel = rep.checks.find((k) => k.param === 'colliders.velocity')!;
  expect(vel.smooth && vel.relError < 1e-2).toBe(true); // the velocity track always carries a gradient
  expect(pos.smooth).toBe(false);
  expect(rep.maxRelError).toBeLessThan(1e-2);
});
