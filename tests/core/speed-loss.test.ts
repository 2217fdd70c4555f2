// The com-speed loss against its float64 reference (src/core/loss-reference.ts), as losses.test.ts
// checks the other kinds: on a controlled MPM body and a controlled spring chain (two batch copies
// whose states and commanded speeds differ, the speeds taken from the controller's goals) and on a
// cloth with a fixed speed: the value, the achieved speed reported, dL/dstate against central
// differences of the reference (a gradient 5% off must fail), the same bytes twice, and goals
// changed by setGoals reach the loss. Bad descs fail before any GPU work, naming the field.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import { createLoss, type LossDesc } from '../../src/core/loss';
import { referenceLoss } from '../../src/core/loss-reference';
import { directionalFD } from '../../src/core/finite-diff';
import { mulberry32 } from '../../src/core/rng';
import type { Simulator } from '../../src/core/simulator';
import { SceneError } from '../../src/core/scene-error';
import { createSimulator, type Scene } from '../../src/simulators';
import type { ControlledSim } from '../../src/control/controlled-sim';
import type { ControllerSpec } from '../../src/control/controller';
import { validateScene } from '../../src/mpm/validate';
import { tinyScene } from '../helpers/tiny-scenes';
import { perturbed, refContext } from '../helpers/loss-fixtures';
import { chain2d, clothPatch } from '../helpers/spring-scenes';

const B = 2;
/** The GPU value against the reference's: relative, with a floor far below every value tested. */
const VALUE_REL = 1e-5;
/** A gradient entry against central differences: relative to the largest entry checked. */
const GRAD_REL = 1e-3;
/** The rollout's duration the speed is measured over, seconds. */
const DURATION = 0.25;

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

const spec: ControllerSpec = { hidden: [8], inputs: ['velocity', 'goal'], goal: [[0.05, 1], [-0.1, 2]], seed: 3 };

const scenes: Record<string, { build: () => Scene; descs: LossDesc[] }> = {
  'controlled MPM 2D': {
    build: () => { const s = tinyScene({ dim: 2, material: 'elastic', actuated: true }); s.groups[1].density = 3; return { ...s, controller: spec }; },
    descs: [{ kind: 'com-speed', group: 1, axis: 0 }, { kind: 'com-speed', axis: 1, goal: 1 }],
  },
  'controlled spring chain 2D': {
    build: () => ({ ...chain2d(), controller: spec }),
    descs: [{ kind: 'com-speed', axis: 0 }, { kind: 'weighted-sum', terms: [{ weight: 2, loss: { kind: 'com-speed', axis: 0 } }, { weight: 1, loss: { kind: 'com-travel', axis: 1, direction: 1 } }] }],
  },
  'cloth 3D, a fixed speed': { build: () => clothPatch(), descs: [{ kind: 'com-speed', axis: 2, speed: 0.2 }] },
};

function gradMatches(got: ArrayLike<number>, fds: { i: number; fd: number }[]): boolean {
  const scale = Math.max(...fds.map((e) => Math.abs(e.fd)));
  return fds.every(({ i, fd }) => Math.abs(got[i] - fd) <= GRAD_REL * scale);
}

for (const [sceneName, { build, descs }] of Object.entries(scenes)) {
  describe(sceneName, () => {
    let sim: Simulator;
    let state: Float32Array;
    let buf: GPUBuffer;
    beforeAll(async () => {
      sim = await createSimulator(gpu, build(), { batch: B });
      state = perturbed(sim, 0.03);
      buf = sim.createState('s', state);
    });
    afterAll(() => { buf?.destroy(); sim?.destroy(); });

    test('value, achieved speed and dL/dstate match the float64 reference; same bytes twice', async () => {
      const ctx = refContext(sim, { duration: DURATION, goalOf: (b) => sim.goalOf!(b) });
      const s64 = Float64Array.from(state);
      const { items, stride } = sim.state;
      for (const desc of descs) {
        const name = JSON.stringify(desc);
        const loss = await createLoss(sim, desc, { duration: DURATION });
        const got = await loss.evaluate(buf);
        const g = await readF32(gpu.device, loss.grad);
        const want = referenceLoss(desc, ctx, s64);
        for (let b = 0; b < B; b++) {
          expect(Math.abs(got.values[b] - want.values[b]), `${name} copy ${b}: ${got.values[b]} vs ${want.values[b]}`)
            .toBeLessThanOrEqual(VALUE_REL * Math.max(Math.abs(want.values[b]), 1e-3));
        }
        if (desc.kind === 'com-speed') {
          // the achieved speed: the copies were shifted by 0.03 (b + 1) along x, plus jitter
          got.report!.forEach((v, b) => expect(v).toBeCloseTo(want.report![b], 5));
          if (desc.axis === 0) got.report!.forEach((v, b) => expect(v).toBeCloseTo((0.03 * (b + 1)) / DURATION, 1));
        }
        const r = mulberry32(name.length);
        const loss64 = (s: Float64Array) => referenceLoss(desc, ctx, s).values.reduce((a, v) => a + v, 0);
        const hot = Array.from(want.grad).flatMap((v, i) => (v !== 0 ? [i] : []));
        const entries = Array.from({ length: 16 }, () => (r() < 0.8 ? hot[Math.floor(r() * hot.length)] : Math.floor(r() * items * B) * stride + Math.floor(r() * stride)));
        const fds = entries.map((i) => {
          const dir = new Float64Array(s64.length);
          dir[i] = 1;
          return { i, fd: directionalFD(loss64, s64, dir, 1e-6) };
        });
        expect(Math.max(...fds.map((e) => Math.abs(e.fd))), name).toBeGreaterThan(0);
        expect(gradMatches(g, fds), `${name}: ${fds.map((e) => `${g[e.i]} vs ${e.fd}`).join(', ')}`).toBe(true);
        expect(gradMatches(g.map((v) => 1.05 * v), fds), `${name}: a gradient 5% off passes`).toBe(false);
        const again = await loss.evaluate(buf);
        expect(again.values).toEqual(got.values);
        expect(new Uint8Array((await readF32(gpu.device, loss.grad)).buffer)).toEqual(new Uint8Array(g.buffer));
        loss.destroy();
      }
    });

    if (sceneName.startsWith('controlled')) {
      test("each copy is scored against its controller's goal, and setGoals reaches the loss", async () => {
        const c = sim as ControlledSim;
        const loss = await createLoss(sim, { kind: 'com-speed', axis: 0 }, { duration: DURATION });
        const before = await loss.evaluate(buf);
        before.values.forEach((v, b) => expect(v).toBeCloseTo((before.report![b] - spec.goal![b][0 as never]) ** 2, 6));
        c.setGoals([[0.3, 0], [0.4, 0]]);
        const after = await loss.evaluate(buf);
        expect(after.report).toEqual(before.report); // the same state: the same achieved speed
        after.values.forEach((v, b) => expect(v).toBeCloseTo((after.report![b] - [0.3, 0.4][b]) ** 2, 6));
        c.setGoals(spec.goal as number[][]);
        expect((await loss.evaluate(buf)).values).toEqual(before.values);
        loss.destroy();
      });
    }
  });
}

describe('bad com-speed descs', () => {
  const withGoal: Scene = { ...tinyScene({ dim: 2, material: 'elastoplastic', actuated: true }), controller: { inputs: ['phase', 'goal'], goal: [0.1] } };
  const noGoal: Scene = { ...tinyScene({ dim: 2, material: 'elastoplastic', actuated: true }), controller: { inputs: ['phase'] } };
  const cases: [string, Scene, unknown, RegExp][] = [
    ['no speed and no goal input', noGoal, { kind: 'com-speed', axis: 0 }, /scene\.loss\.speed is missing: allowed a commanded speed, or a controller with a 'goal' input/],
    ['speed and goal both', withGoal, { kind: 'com-speed', axis: 0, speed: 1, goal: 0 }, /scene\.loss\.goal = 0 is set with speed/],
    ['a goal entry the goal lacks', withGoal, { kind: 'com-speed', axis: 0, goal: 1 }, /scene\.loss\.goal = 1 is not an entry of the controller's goal: allowed integers in \[0, 0\]/],
    ['axis out of range', withGoal, { kind: 'com-speed', axis: 2 }, /scene\.loss\.axis = 2 is out of range: allowed integers in \[0, 1\]/],
    ['a target', withGoal, { kind: 'com-speed', axis: 0, target: [1, 1] }, /scene\.loss\.target .*is not a known field/],
  ];
  for (const [name, scene, desc, message] of cases) {
    test(`${name}: validateScene and createLoss both refuse it, naming the field`, async () => {
      expect(() => validateScene({ ...scene, loss: desc as LossDesc })).toThrow(message);
      const sim = await createSimulator(gpu, scene);
      try {
        await expect(createLoss(sim, desc as LossDesc, { duration: 1 })).rejects.toThrow(SceneError);
        await expect(createLoss(sim, desc as LossDesc, { duration: 1 })).rejects.toThrow(message);
      } finally {
        sim.destroy();
      }
    });
  }
  test("createLoss wants the rollout's duration", async () => {
    const sim = await createSimulator(gpu, withGoal);
    try {
      await expect(createLoss(sim, { kind: 'com-speed', axis: 0 })).rejects.toThrow(/com-speed needs the rollout's duration/);
    } finally {
      sim.destroy();
    }
  });
});
