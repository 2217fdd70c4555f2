// A lattice block whose edge layers all come within 1e-4 of a cell of a new stencil base at the
// same step (jelly-drop-2d at half the resolution: x and y both cross at step 13). The nodes the
// edges are leaving then hold a few quanta of fixed-point mass. Their velocity used to be a
// momentum rounded apart from that mass (and, in the adjoint's replay, one coarser word over it),
// and the weight gradients, which shrink only as the square root of such a node's mass, carried
// that noise into dL/dx: gradcheck read 0.49 against 0.33 along the gradient.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { gradcheckScene } from '../../src/mpm/gradcheck-subject';
import { addGroup, fillBox, gravity, sceneBase } from '../../scenes/builders';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

test('gradcheck, 2D lattice block whose edges leave their nodes at one step', async () => {
  const res = 64, dx = 1 / res;
  const scene = sceneBase({
    name: 'edges-cross', description: 'test scene', dim: 2, res: [res, res], dt: 3e-4, steps: 16,
    gravity: gravity(2), boundary: { walls: 'separate', groundFriction: 0.4, boundCells: 3 },
  });
  const g = addGroup(scene, { name: 'jelly', material: 'elastic', E: 1e3, nu: 0.2, density: 1 });
  // 1 m/s moves the left layer (at 1.25 cells past its base) 0.0192 cells a step: 1.4996 at step 13
  fillBox(scene, g, [25 * dx, 20 * dx], [33 * dx, 28 * dx], { velocity: [1, -3], ppc: 2 });
  for (const steps of [14, 16]) {
    const rep = await gradcheckScene(gpu, scene, { seed: 1, steps });
    const x = rep.checks.filter((c) => c.param.startsWith('x0'));
    for (const c of x) console.log(`edges cross, ${steps} steps, ${c.param}: ${c.analytic.toExponential(5)} vs ${c.numeric.toExponential(5)} rel ${c.relError.toExponential(2)} ${c.verdict}`);
    expect(rep.checks.filter((c) => !c.ok)).toEqual([]);
    expect(x.find((c) => c.param === 'x0@gradient')?.verdict).toBe('ok');
  }
}, 120_000);

test('gradcheck, 3D lattice block whose edges leave their nodes at one step', async () => {
  const res = 32, dx = 1 / res;
  const scene = sceneBase({
    name: 'edges-cross-3d', description: 'test scene', dim: 3, res: [res, res, res], dt: 4e-4, steps: 16,
    gravity: gravity(3), boundary: { walls: 'separate', groundFriction: 0.4, boundCells: 3 },
  });
  const g = addGroup(scene, { name: 'jelly', material: 'elastic', E: 1e3, nu: 0.2, density: 1 });
  // the low layers on every axis, 1.25 cells past their base, reach 1.4996 at step 13
  const v = 0.25 / (13.02 * 4e-4 * res);
  fillBox(scene, g, [12 * dx, 12 * dx, 12 * dx], [16 * dx, 16 * dx, 16 * dx], { velocity: [v, v, v], ppc: 2 });
  const rep = await gradcheckScene(gpu, scene, { seed: 2, steps: 16 });
  const x = rep.checks.filter((c) => c.param.startsWith('x0'));
  for (const c of x) console.log(`edges cross 3D, ${c.param}: ${c.analytic.toExponential(5)} vs ${c.numeric.toExponential(5)} rel ${c.relError.toExponential(2)} ${c.verdict}`);
  expect(rep.checks.filter((c) => !c.ok)).toEqual([]);
  expect(x.find((c) => c.param === 'x0@gradient')?.verdict).toBe('ok');
}, 120_000);
