// Model-predictive control: the goal's track, the checks of a scene's mpc field, and a short
// chase on the GPU that re-plans, holds the walker near a still goal, and repeats to the byte.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { goalAt, runMpc } from '../../src/opt/mpc';
import { validateScene } from '../../src/mpm/validate';
import { buildScene } from '../../scenes/index';
import type { SpringScene } from '../../src/springs/scene';
import type { MpmScene } from '../../src/mpm/scene';
import { tinyScene } from '../helpers/tiny-scenes';
import { SceneError } from '../../src/core/scene-error';
import { mpcScene } from '../../src/cli/mpc';
import { RolloutError } from '../../src/core/rollout';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

test('the goal moves linearly between waypoints and holds after the last', () => {
  const g = [[0, 0, 1], [100, 1, 1], [200, 1, 0]];
  expect(goalAt(g, 0)).toEqual([0, 1]);
  expect(goalAt(g, 50)).toEqual([0.5, 1]);
  expect(goalAt(g, 150)).toEqual([1, 0.5]);
  expect(goalAt(g, 999)).toEqual([1, 0]);
});

test('a bad mpc field is refused naming the field, the value and the allowed range', () => {
  const base = buildScene('robot-chase-mpc-2d') as SpringScene;
  const bad = (mpc: Partial<NonNullable<SpringScene['mpc']>>) => () => validateScene({ ...base, mpc: { ...base.mpc!, ...mpc } });
  expect(bad({ every: 300 })).toThrow(/scene\.mpc\.every = 300 is longer than the horizon: allowed at most mpc\.horizon = 250/);
  expect(bad({ horizon: 5000 })).toThrow(/scene\.mpc\.horizon = 5000 plans past the scene's end: allowed at most the scene's 1500 steps/);
  expect(bad({ goal: [[0, 0.3]] })).toThrow(/scene\.mpc\.goal\[0\]/);
  expect(bad({ goal: [[0, 0.3, 0.1], [0, 0.4, 0.1]] })).toThrow(/scene\.mpc\.goal\[1\]\[0\] = 0 does not come after the waypoint before/);
  expect(bad({ axes: [2] })).toThrow(/scene\.mpc\.axes\[0\] = 2 is not an axis of the scene: allowed 0 to 1/);
  const still = { ...base, actuation: undefined, springs: { ...base.springs!, actuator: base.springs!.actuator!.map(() => -1) } };
  expect(() => validateScene(still)).toThrow(/scene\.mpc = present needs actuation to plan/);
});

test('a scene with a controller and an mpc field is refused naming mpc, before a folder or a simulator', async () => {
  const walker = buildScene('spring-walker-2d') as SpringScene;
  const chase = buildScene('robot-chase-mpc-2d') as SpringScene;
  const scene = validateScene({ ...walker, mpc: { ...chase.mpc!, horizon: 100, every: 50, goal: [[0, 0.4, 0.1]], warmup: 100 } });
  const message = /scene\.mpc = present plans open-loop actuation, which the scene's controller writes every step/;
  await expect(runMpc(gpu, scene, scene.mpc!)).rejects.toThrow(SceneError);
  await expect(runMpc(gpu, scene, scene.mpc!)).rejects.toThrow(message);
  const out = join(mkdtempSync(join(tmpdir(), 'torsion-mpc-')), 'run');
  await expect(mpcScene(scene, { out })).rejects.toThrow(message);
  expect(existsSync(out)).toBe(false);
});

test('an MPM chase is judged on the centre the plan steers: group 0, which com-target reads, not every particle', async () => {
  // two groups side by side: their centres lie apart along x
  const base = tinyScene({ dim: 2, material: 'elastic', actuated: true, gravity: false, groundFriction: null });
  const scene: MpmScene = { ...base, mpc: { horizon: 10, every: 10, iterations: 1, learningRate: 0.1, goal: [[0, 0.45, 0.4]], axes: [0], tolerance: 1, warmup: 0 } };
  const run = await runMpc(gpu, scene, scene.mpc!);
  const n0 = base.particles.group.filter((g) => g === 0).length, n = base.particles.group.length;
  const meanX = (p: Float32Array, from: number, to: number) => { let s = 0; for (let i = from; i < to; i++) s += p[2 * i]; return s / (to - from); };
  const last = run.positions.at(-1)!;
  expect(Math.abs(meanX(last, 0, n0) - meanX(last, 0, n))).toBeGreaterThan(0.02); // the two centres differ
  expect(run.frames.at(-1)!.com[0]).toBeCloseTo(meanX(last, 0, n0), 5); // equal masses per particle in group 0
}, 120_000);

test('a short chase re-plans every 50 steps, keeps the walker by a still goal, and repeats to the byte', async () => {
  const scene = { ...(buildScene('robot-chase-mpc-2d') as SpringScene), steps: 150 };
  const mpc = { ...scene.mpc!, horizon: 100, iterations: 2, period: 100 };
  const a = await runMpc(gpu, scene, mpc);
  expect(a.frames.map((f) => f.step)).toEqual([50, 100, 150]);
  expect(a.positions).toHaveLength(4);
  for (const f of a.frames) expect(f.distance).toBeLessThan(0.05); // the goal stands still for 150 steps
  const b = await runMpc(gpu, scene, mpc);
  expect(b.frames).toEqual(a.frames);
  expect(b.positions).toEqual(a.positions);
}, 120_000);

test('mpc: a plan that blows up stops the run naming the step; summary.json and --json say where', async () => {
  // a learning rate that drives the muscle thousands of times past its material in the first plan
  const base = tinyScene({ dim: 2, material: 'elastic', actuated: true, gravity: false, groundFriction: null });
  const groups = base.groups.map(({ plastic: _p, ...g }) => g); // tinyScene's plastic fields, which an elastic group's file may not carry
  const scene: MpmScene = { ...base, groups, steps: 40, mpc: { horizon: 10, every: 10, iterations: 2, learningRate: 1e4, goal: [[0, 0.9, 0.4]], axes: [0], tolerance: 1, warmup: 0 } };
  const dir = join(mkdtempSync(join(tmpdir(), 'torsion-mpc-')), 'run');
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((m: unknown) => { lines.push(String(m)); });
  const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    const e = await mpcScene(scene, { out: dir, json: true }).then(() => null, (x: unknown) => x);
    expect(e).toBeInstanceOf(RolloutError);
    expect((e as RolloutError).message).toMatch(/^the plan: rollout blew up at step 0: .*The actuator of groups\[1\] "muscle" stiffens it/);
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  expect(summary).toMatchObject({ steps: 0, replans: 0, success: false, blewUpAt: 0 });
  expect(summary.error).toMatch(/blew up at step 0/);
  expect(JSON.parse(lines.at(-1)!)).toMatchObject({ blewUpAt: 0, success: false });
}, 120_000);
