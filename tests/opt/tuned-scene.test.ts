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
import { SceneObjective, sceneLoss } from '../../src/opt/objective';
import { validateScene } from '../../src/mpm/validate';
import type { SpringScene } from '../../src/springs/scene';

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
  // its gripper starts at 0.8, not a float32: the file keeps 0.8, or the held vertices' offsets move
  ['paper-crease-3d', ['grippers[0].waypoints']],
  // the whole track, row 0 included: the held vertices keep their offsets from the scene's row 0
  // (the file's gripper origin), not from the tuned one
  ['cloth-fold-3d, whole track', ['grippers[0].position']],
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
    const pv = new ParameterVector(sim, params, shapeOptions(scene));
    // a whole track is shifted as one (row 0 too): a jump between rows would tear the cloth
    const theta = name.endsWith('whole track') ? pv.initial().map((t, i) => t + 0.01 * (1 + (i % 3)))
      : pv.initial().map((t, i) => t * (1 + 0.05 * Math.sin(i + 1)) + 0.02 * Math.cos(3 * i + 1));
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

test.each([
  ['cloth-fold-3d', ['grippers[0].position'], 24],
  ['mpm-walker-mlp-2d', ['controller'], 30],
])('%s tuned over %s at %i steps, fewer than its own: the file has those steps and gives the tuned loss', async (name, params, steps) => {
  const scene = buildScene(name);
  const objective = await SceneObjective.create(gpu, scene, { params, steps });
  try {
    const pv = objective.params;
    const theta = pv.initial().map((t, i) => t + 0.01 * Math.sin(i + 1));
    pv.clamp(theta);
    const want = await objective.value(theta);
    // a spring scene's gripper track has at most steps rows: without the cut the file is refused
    const tuned = validateScene(JSON.parse(JSON.stringify(tunedScene(scene, pv, theta, steps))));
    expect(tuned.steps).toBe(steps);
    const got = await sceneLoss(gpu, tuned);
    expect(bits([got.loss])).toEqual(bits([want.loss]));
    expect(() => tunedScene(scene, pv, theta, scene.steps + 1)).toThrow(/steps = .*allowed an integer from 1 to the scene's/);
  } finally {
    objective.destroy();
  }
}, 120_000);

test('a tuned periodic gait is saved as one: its rows go on past the tuned steps, and optimizing the file starts from it', async () => {
  const scene = buildScene('spring-robot-2d');
  const sim = await createSimulator(gpu, scene);
  const sims: Simulator[] = [sim];
  try {
    const pv = new ParameterVector(sim, ['actuation.periodic'], shapeOptions(scene));
    const theta = pv.initial().map((t, i) => t + 0.3 * Math.sin(2 * i + 1));
    const tuned = tunedScene(scene, pv, theta);
    expect(tuned.actuation!.values).toBeUndefined();
    expect(tuned.actuation!.periodic!.coefficients).toEqual(Array.from(theta));
    const longer = await createSimulator(gpu, validateScene(JSON.parse(JSON.stringify({ ...tuned, steps: 3 * scene.steps }))));
    sims.push(longer);
    const act = longer.params.blocks.find((b) => b.name === 'actuation')!, A = act.rowLength, v = longer.params.values(0);
    const row = (t: number) => Array.from({ length: A }, (_, c) => v[act.indices[t * A + c]]);
    const P = tuned.actuation!.periodic!.period;
    expect(act.indices.length / A).toBe(3 * scene.steps);
    // past the tuned steps the gait goes on: a period later, the same row (to rounding)
    for (const t of [scene.steps + 7, 2 * scene.steps + 3]) row(t).forEach((a, c) => expect(a).toBeCloseTo(row(t - Math.round(P))[c], 5));
    expect(row(2 * scene.steps).some((a, c) => Math.abs(a - row(scene.steps - 1)[c]) > 1e-3)).toBe(true);
    // the file as the start of another optimization: theta starts at its gait
    const again = new ParameterVector(longer, ['actuation.periodic'], shapeOptions(tuned));
    expect(Array.from(again.initial())).toEqual(Array.from(theta));
  } finally {
    for (const s of sims) s.destroy();
  }
}, 60_000);

test('a scene\'s periodic actuation is checked by name', () => {
  const scene = buildScene('spring-robot-2d') as SpringScene;
  const A = scene.actuation!.channels;
  const periodic = (coefficients: number[], period = 50) => ({ ...scene, actuation: { channels: A, periodic: { period, coefficients } } });
  expect(() => validateScene(periodic(new Array(3 * A).fill(0.1)))).not.toThrow();
  expect(() => validateScene(periodic(new Array(2 * A).fill(0.1)))).toThrow(/actuation\.periodic\.coefficients = 8 numbers is not 4 channels of 1 \+ 2K/);
  expect(() => validateScene(periodic(new Array(3 * A).fill(0.1), -2))).toThrow(/actuation\.periodic\.period/);
  expect(() => validateScene({ ...scene, actuation: { ...scene.actuation!, periodic: { period: 50, coefficients: new Array(3 * A).fill(0) } } })).toThrow(/actuation = values and periodic gives both/);
  expect(() => validateScene({ ...scene, actuation: { channels: A } })).toThrow(/actuation\.values is missing/);
  // a bias that drives an actuated spring's rest length through zero (strength 2 x a of nearly -1)
  const strong = { ...periodic(Array.from({ length: 3 * A }, (_, i) => (i % 3 === 0 ? -20 : 0))), springs: { ...scene.springs!, actuationStrength: 2 } };
  expect(() => validateScene(strong)).toThrow(/actuation\.periodic = -1 at step 0, channel 0 makes an actuated spring's rest length/);
});

test('a wrong number of controller weights in a scene file is refused, naming the layers', () => {
  const scene = buildScene('mpm-walker-mlp-2d') as Scene & { controller: { weights?: number[] } };
  expect(() => validateScene({ ...scene, controller: { ...scene.controller, weights: [0.5, 0.25] } })).toThrow(/controller\.weights.*2 numbers.*layers/s);
  expect(() => validateScene({ ...scene, controller: { ...scene.controller, weights: [0.5, Number.NaN] } })).toThrow(/controller\.weights/);
});
