// A scene opts in with `controller`: validated before any GPU work (errors name the field),
// its parameter names trade 'actuation' for 'controller', and createSimulator wraps its simulator.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { validateScene } from '../../src/mpm/validate';
import { SceneError } from '../../src/core/scene-error';
import { createSimulator, paramNames } from '../../src/simulators';
import { ControlledSim } from '../../src/control/controlled-sim';
import type { ControllerSpec } from '../../src/control/controller';
import { chain2d } from '../helpers/spring-scenes';
import { tinyScene } from '../helpers/tiny-scenes';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

const controller: ControllerSpec = { hidden: [8], inputs: ['com', 'velocity', 'phase', 'goal'], periods: [0.05], goal: [[0.1], [0.2]], seed: 1 };

function fieldOf(f: () => unknown): string {
  try { f(); } catch (e) { if (e instanceof SceneError) return e.field; throw e; }
  return 'no error';
}

test('a spring and an MPM scene with a controller validate; their parameters trade actuation for controller', () => {
  for (const scene of [{ ...chain2d(), controller }, { ...tinyScene({ dim: 2, actuated: true, material: 'elastoplastic' }), controller }]) {
    expect(() => validateScene(scene)).not.toThrow();
    const names = paramNames(scene);
    expect(names).toContain('controller');
    expect(names.some((n) => n.startsWith('actuation'))).toBe(false);
  }
});

test('bad controllers are refused with the field named', () => {
  const still = chain2d();
  delete still.actuation;
  delete still.springs!.actuator;
  expect(() => validateScene(still)).not.toThrow();
  expect(fieldOf(() => validateScene({ ...still, controller }))).toBe('controller');
  expect(fieldOf(() => validateScene({ ...chain2d(), controller: { inputs: ['goal'] } }))).toBe('controller.goal');
  expect(fieldOf(() => validateScene({ ...chain2d(), controller: { hidden: [0] } }))).toBe('controller.hidden[0]');
  expect(fieldOf(() => validateScene({ ...chain2d(), controller: { inputs: ['speed'] } } as never))).toMatch(/^controller\.inputs/);
  expect(fieldOf(() => validateScene({ ...chain2d(), controller: { hidden: [256, 256, 256, 256, 256] } }))).toBe('controller.hidden');
  expect(fieldOf(() => validateScene({ ...chain2d(), controller: { periods: [-1] } }))).toMatch(/^controller\.periods/);
  expect(fieldOf(() => validateScene({ ...chain2d(), controller: { goal: [[1], [1, 2]] } }))).toMatch(/^controller\.goal/);
});

test('createSimulator wraps a scene with a controller; its blocks are the weights and the rest but the actuation', async () => {
  const sim = await createSimulator(gpu, { ...chain2d(), controller }, { batch: 2 });
  try {
    expect(sim).toBeInstanceOf(ControlledSim);
    const c = sim as ControlledSim;
    expect(sim.params.blocks.map((b) => b.name)).toContain('controller');
    expect(sim.params.blocks.some((b) => b.kind === 'actuation')).toBe(false);
    expect(c.goalOf(0)).toEqual([0.1]);
    expect(c.goalOf(1)).toEqual([0.2]);
    const w = sim.params.blocks.find((b) => b.name === 'controller')!;
    expect(w.indices.length).toBe(c.layout.weights);
  } finally {
    sim.destroy();
  }
});
