// A whole rollout with a sphere collider centred exactly on a grid node (nodes around it at local
// coordinate 0 on one or two axes): the GPU adjoint against central differences of the float64
// reference (gradcheckScene), every parameter kind, the collider's tracks included.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { gradcheckScene } from '../../src/mpm/gradcheck-subject';
import { sphereOnNodeScene } from '../helpers/sphere-on-node';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

test('gradcheck, 3D sphere collider centred on a node', async () => {
  const rep = await gradcheckScene(gpu, sphereOnNodeScene(), { seed: 1, steps: 20 });
  for (const c of rep.checks) console.log(`sphere on a node ${c.param}: ${c.analytic.toExponential(5)} vs ${c.numeric.toExponential(5)} rel ${c.relError.toExponential(2)} |g| ${c.gradNorm.toExponential(2)}${c.smooth ? '' : ' (kink)'}`);
  expect(rep.checks.filter((c) => !c.ok)).toEqual([]);
  const at = (p: string) => rep.checks.filter((c) => c.param.startsWith(p));
  // the collider's tracks are compared, not passed over as kinks
  for (const p of ['colliders[0].position', 'colliders[0].velocity', 'colliders[0].angularVelocity']) {
    for (const c of at(p)) expect(c.smooth, c.param).toBe(true);
  }
  // A sphere's orientation changes nothing: its derivative is zero, which central differences
  // only show as rounding noise (that a smoothness test may take for a kink), so it is held to the
  // report's float32 noise floor here.
  for (const c of at('colliders[0].orientation')) {
    expect(c.smooth, c.param).toBe(true);
    expect(c.verdict, c.param).toBe('noise');
  }
});
