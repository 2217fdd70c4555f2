// withTracks: the best point's collider and gripper tracks written back into its scene, so a replay
// of that point draws its bodies where they moved (the page's Optimize replays), not on the start's tracks.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { buildScene } from '../../scenes/index';
import { createSimulator } from '../../src/simulators';
import { ParameterVector, shapeOptions } from '../../src/opt/parameters';
import { withTracks } from '../../src/opt/scene-tracks';
import { validateScene } from '../../src/mpm/validate';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

test.each([
  ['fluid-push-3d', 'colliders[0].waypoints', 'colliders[0].position'],
  ['cloth-fold-3d', 'grippers[1].waypoints', 'grippers[1].position'],
])('%s: a scene built from a moved %s holds the moved track, and runs with the same controls', async (name, param, block) => {
  const scene = buildScene(name);
  const before = JSON.stringify(scene);
  const sim = await createSimulator(gpu, scene);
  const pv = new ParameterVector(sim, [param], shapeOptions(scene.optimize, scene.dt));
  const theta = pv.initial().map((t, i) => t + 0.05 * (i + 1));
  const values = sim.params.unpack(pv.inputs(theta).ctrl, 0);
  const moved = withTracks(scene, sim.params, values);
  expect(JSON.stringify(scene)).toBe(before); // the input is untouched
  validateScene(moved);
  const again = await createSimulator(gpu, moved);
  try {
    const b = sim.params.blocks.find((x) => x.name === block)!;
    const got = again.params.values(0), start = sim.params.values(0);
    const last = b.indices[b.indices.length - 1];
    expect(Math.abs(values[last] - start[last])).toBeGreaterThan(1e-3); // the point moved the track's end
    for (const x of again.params.blocks.filter((x) => x.kind === 'track')) {
      for (const i of x.indices) expect(got[i], `${x.name} [${i}]`).toBeCloseTo(values[i], 5);
    }
  } finally {
    again.destroy();
    sim.destroy();
  }
}, 60_000);

test('mpm-walker-2d: a scene built from a moved periodic gait holds its actuation rows, which the page colours a replay by', async () => {
  const scene = buildScene('mpm-walker-2d');
  const sim = await createSimulator(gpu, scene);
  const pv = new ParameterVector(sim, ['actuation.periodic'], shapeOptions(scene.optimize, scene.dt));
  const theta = pv.initial().map((t, i) => t + 0.1 * Math.sin(i + 1));
  const values = sim.params.unpack(pv.inputs(theta).ctrl, 0);
  const moved = withTracks(scene, sim.params, values);
  validateScene(moved);
  const again = await createSimulator(gpu, moved);
  try {
    const b = sim.params.blocks.find((x) => x.name === 'actuation')!;
    const got = again.params.values(0), start = sim.params.values(0);
    expect(b.indices.some((i) => Math.abs(values[i] - start[i]) > 1e-3)).toBe(true); // the gait moved
    for (const i of b.indices) expect(got[i], `actuation [${i}]`).toBeCloseTo(values[i], 5);
  } finally {
    again.destroy();
    sim.destroy();
  }
}, 60_000);
