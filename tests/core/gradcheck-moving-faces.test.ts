// A rounded box sweeping through a jelly that starts partly inside it: at step 6 its left core
// face (x = 30.28 + 6 x 0.01344 - 2.36 cells) is 6.4e-4 cells past node column 28, inside
// CONTACT_TIE (2^-10 dx), where the adjoint's normal Jacobian used to count a node as on the face
// and take the mean of its two sides. The float64 reference puts the node beside the face, and so
// do central differences at any step below that distance: dL/d(position x at step 6) read 388
// against 438, and gradcheck's colliders[0].position 0.51 off. Such a node is on the face only to
// float32's rounding of its local coordinates (KINK_ROUNDING, grid_contacts.wgsl).
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { gradcheckScene, mpmGradcheckSubject } from '../../src/mpm/gradcheck-subject';
import { MpmSim } from '../../src/mpm/simulator';
import { rng } from '../../src/core/finite-diff';
import { addCollider, addGroup, fillBox, gravity, linearTrack, sceneBase } from '../../scenes/builders';
import type { MpmScene } from '../../src/mpm/scene';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

const STEPS = 40, DT = 3e-4, RES = 64, DX = 1 / RES;
/** The step at which the box's left face is 6.4e-4 cells past node column 28. */
const CROSSING = 6;

function sweepingBox(): MpmScene {
  const s = sceneBase({ name: 'box-sweep-2d', dim: 2, res: [RES, RES], dt: DT, steps: STEPS, gravity: gravity(2), boundary: { walls: 'separate', boundCells: 3 } });
  const g = addGroup(s, { name: 'jelly', material: 'elastic', E: 1e3, nu: 0.2, density: 1 });
  fillBox(s, g, [20 * DX, 3 * DX], [40 * DX, 15 * DX], { ppc: 2 });
  const v = [0.7, 0];
  addCollider(s, {
    name: 'box', shape: 'box', halfExtents: [2.36 * DX, 3.16 * DX], radius: DX, friction: 0.3,
    position: linearTrack([30.28 * DX, 12.81 * DX], v, STEPS, DT), velocity: [v],
  });
  return s;
}

test('the face is within CONTACT_TIE of a node at the crossing step, and further at the others', () => {
  const s = sweepingBox(), c = s.colliders[0];
  const gap = (t: number) => (c.position[t][0] - c.halfExtents![0]) / DX - 28;
  expect(gap(CROSSING)).toBeGreaterThan(0);
  expect(gap(CROSSING)).toBeLessThan(2 ** -10);
  expect(Math.abs(gap(CROSSING - 1))).toBeGreaterThan(2 ** -10);
});

test('dL/d(collider position at the crossing step) against central differences of the float64 reference', async () => {
  const scene = sweepingBox();
  const sim = await MpmSim.create(gpu, scene);
  const block = sim.params.blocks.find((b) => b.name === 'colliders[0].position')!;
  const i = block.indices[CROSSING * block.rowLength];
  sim.destroy();
  const subject = await mpmGradcheckSubject(gpu, scene);
  try {
    const rand = rng(1);
    const weights = new Float64Array(subject.state0.length).map(() => rand() - 0.5);
    const { gCtrl } = await subject.gpuGradient(weights, STEPS);
    const loss = async (h: number) => {
      const c = Float64Array.from(subject.ctrl);
      c[i] += h;
      const fin = await subject.referenceFinal(subject.state0, c, STEPS);
      return fin.reduce((a, x, k) => a + x * weights[k], 0);
    };
    const central = async (h: number) => { const [p, m] = await Promise.all([loss(h), loss(-h)]); return (p - m) / (2 * h); };
    const [coarse, fine] = [await central(block.eps), await central(block.eps / 16)];
    console.log(`dL/dposition[${CROSSING}].x: adjoint ${gCtrl[i].toExponential(5)}, central differences ${coarse.toExponential(5)} (step / 16: ${fine.toExponential(5)})`);
    // smooth there: the face is far from the node at these steps
    expect(Math.abs(coarse - fine)).toBeLessThan(1e-5 * Math.abs(coarse));
    expect(Math.abs(gCtrl[i] - coarse)).toBeLessThan(1e-3 * Math.abs(coarse));
  } finally {
    subject.destroy?.();
  }
}, 120_000);

test('gradcheck of the sweeping box passes', async () => {
  const rep = await gradcheckScene(gpu, sweepingBox(), { seed: 1, steps: STEPS });
  for (const c of rep.checks.filter((c) => c.block.startsWith('colliders'))) {
    console.log(`${c.param}: ${c.analytic.toExponential(5)} vs ${c.numeric.toExponential(5)} rel ${c.relError.toExponential(2)} ${c.verdict}`);
  }
  expect(rep.checks.filter((c) => !c.ok)).toEqual([]);
  expect(rep.checks.find((c) => c.param === 'colliders[0].position')?.verdict).toBe('ok');
}, 120_000);
