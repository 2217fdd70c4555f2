// Every spring/shell adjoint against central differences of the float64 reference: per element
// kind (a scene with only that kind, one step and a few) and over rollouts with everything on.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { gradcheck } from '../../src/core/gradcheck';
import { springGradcheckSubject } from '../../src/springs/gradcheck-subject';
import { chain2d, clothPatch, turningCollider } from '../helpers/spring-scenes';
import type { SpringScene } from '../../src/springs/scene';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

async function check(scene: SpringScene, steps: number, seed = 1) {
  const subject = await springGradcheckSubject(gpu, scene);
  try {
    const r = await gradcheck(subject, { steps, seed });
    const bad = r.checks.filter((c) => !c.ok);
    if (bad.length) console.log(scene.name, steps, JSON.stringify(bad.map((c) => ({ p: c.param, a: c.analytic, n: c.numeric, v: c.verdict }))));
    console.log(scene.name, steps, 'max rel', r.maxRelError, r.checks.map((c) => `${c.param}:${c.verdict}:${c.relError?.toExponential(1)}`).join(' '));
    return r;
  } finally {
    subject.destroy?.();
  }
}

const cases: [string, () => SpringScene, number[]][] = [
  ['2D chain robot', () => chain2d(), [3, 40]],
  ['2D chain robot, a turning and spinning box', () => turningCollider(chain2d()), [3, 40]],
  ['3D cloth, a turning and spinning box', () => turningCollider(clothPatch({})), [3, 25]],
  ['3D cloth, self-contact', () => clothPatch({ selfContact: true }), [3, 25]],
  ['3D plastic strip', () => clothPatch({ plastic: true }), [3, 25]],
];

for (const [name, make, stepsList] of cases) {
  for (const steps of stepsList) {
    test(`${name}, ${steps} steps: every block matches float64 central differences`, async () => {
      const r = await check(make(), steps);
      expect(r.ok).toBe(true);
    });
  }
}
