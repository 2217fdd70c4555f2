// tunedScene: an optimized point written into its scene as data. The file, read back as a user
// would read best-scene.json, must rebuild the same controls and initial state bit for bit and
// roll out to the same bytes, also with its steps raised (a longer run of the tuned scene).
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import { buildScene } from '../../scenes/index';
import { createSimulator, type Scene } from '../../src/simulators';
import type { Simulator } from '../../src/core/simulator';
import { Rollout } from '../../src/core/rollout';
import { ParameterVector, shapeOptions } from '../../src/opt/parameters';
import { tunedScene } from '../../src/opt/tuned-scene';
import { validateScene } from '../../src/mpm/validate';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

/** Steps rolled out: the first of each scene's horizon. */
const STEPS = 12;

async function finalState(sim: Simulator, steps: number, state0: Float32Array): Promise<Float32Array> {
  const r = new Rollout(sim, steps, 'full');
  try {
    expect((await r.forward(state0)).badStep).toBeNull();
    return await readF32(gpu.device, r.final.buf);
  } finally {
    r.destroy();
  }
}

const bits = (a: ArrayLike<number>) => Array.from(new Float32Array(Array.from(a)), (x) => new Uint32Array(Float32Array.of(x).buffer)[0]);

test.each([
  ['jelly-sysid-2d', ['groups[0].E', 'groups[0].nu', 'initialVelocity']],
  ['mpm-walker-2d', ['actuation.periodic']],
  ['fluid-push-3d', ['colliders[0].waypoints']],
  ['spring-robot-2d', ['actuation', 'initialVelocity']],
  ['cloth-fold-3d', ['grippers[1].waypoints', 'materials[0].bending']],
  ['mpm-walker-mlp-2d', ['controller']],
  ['mpm-walker-mlp-2d, default periods', ['controller']],
])('%s: the scene with %s written in rebuilds the tuned controls and state and rolls out to the same bytes', async (name, params) => {
  const scene = buildScene(name.split(',')[0]);
  // the controller's phase periods by default follow the steps: the file must pin them
  if (name.endsWith('default periods')) delete (scene.controller as { periods?: number[] }).periods;
  const before = JSON.stringify(scene);
  const sim = await createSimulator(gpu, scene);
  const sims: Simulator[] = [sim];
  try {
    const pv = new ParameterVector(sim, params, shapeOptions(scene.optimize, scene.dt));
    const theta = pv.initial().map((t, i) => t * (1 + 0.05 * Math.sin(i + 1)) + 0.02 * Math.cos(3 * i + 1));
    pv.clamp(theta);
    const { state0, ctrl } = pv.inputs(theta);
    const tuned = tunedScene(scene, pv, theta);
    expect(JSON.stringify(scene)).toBe(before); // the input is untouched
    // as a file: JSON text, validated as the CLI validates it
    const file = validateScene(JSON.parse(JSON.stringify(tuned)));
    const again = await createSimulator(gpu, file);
    sims.push(again);
    const want = sim.params.unpack(ctrl, 0), got = again.params.values(0);
    expect(got.length).toBe(want.length);
    expect(bits(got)).toEqual(bits(want));
    expect(bits(again.state0)).toEqual(bits(state0.subarray(0, again.state0.length)));
    expect(want.some((x, i) => x !== sim.params.values(0)[i]) || state0.some((x, i) => x !== sim.state0[i])).toBe(true); // theta moved something
    const ref = bits(await finalState(sim.batch === 1 ? (sim.writeParams(ctrl), sim) : sim, STEPS, state0));
    expect(bits(await finalState(again, STEPS, again.state0))).toEqual(ref);
    // the same file at twice its steps: its first steps are the tuned run's (tracks hold their
    // last row; a controller keeps its phase periods, which by default follow the steps)
    const longer = await createSimulator(gpu, validateScene(JSON.parse(JSON.stringify({ ...tuned, steps: 2 * scene.steps }))));
    sims.push(longer);
    expect(bits(await finalState(longer, STEPS, longer.state0))).toEqual(ref);
  } finally {
    for (const s of sims) s.destroy();
  }
}, 120_000);

test('a wrong number of controller weights in a scene file is refused, naming the layers', () => {
  const scene = buildScene('mpm-walker-mlp-2d') as Scene & { controller: { weights?: number[] } };
  expect(() => validateScene({ ...scene, controller: { ...scene.controller, weights: [0.5, 0.25] } })).toThrow(/controller\.weights.*2 numbers.*layers/s);
  expect(() => validateScene({ ...scene, controller: { ...scene.controller, weights: [0.5, Number.NaN] } })).toThrow(/controller\.weights/);
});
