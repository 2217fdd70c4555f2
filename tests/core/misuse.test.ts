// What a host program gets wrong with the tape and the parameters, and the message it must get:
// a dL/d(state) of another simulator or of the wrong type, a destroyed rollout, objective or
// device, a copy index past the batch. Each used to run on (a partial read, NaNs, zeros, Dawn's
// validation errors on the console) or fail deep inside Dawn ('no overload matched', an empty
// DOMException). Every check here runs before any GPU work of the call.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { createObjective, createSimulator } from '../../src/index';
import { Rollout } from '../../src/core/rollout';
import { ParameterVector } from '../../src/opt/parameters';
import type { Simulator } from '../../src/core/simulator';
import { chain2d } from '../helpers/spring-scenes';
import { gradcheck } from '../../src/core/gradcheck';
import { gradcheckSubject } from '../../src/index';
import { addGroup, fillBox, gravity, sceneBase } from '../../scenes/builders';
import { buildScene } from '../../scenes/index';
import type { SpringScene } from '../../src/springs/scene';

let gpu: GpuContext;
let one: Simulator, four: Simulator;
const T = 10;
beforeAll(async () => {
  gpu = await requestGpu();
  one = await createSimulator(gpu, chain2d({ steps: T }));
  four = await createSimulator(gpu, chain2d({ steps: T }), { batch: 4 });
});
afterAll(() => { one?.destroy(); four?.destroy(); gpu?.destroy(); });

/** Runs f with the device's uncaptured errors collected: none may be recorded. */
async function noGpuErrors<R>(f: () => Promise<R>): Promise<R> {
  await gpu.checkErrors();
  const r = await f();
  await gpu.checkErrors();
  return r;
}

test('backward names gFinal or the injected step when it is not one state of this simulator', async () => {
  const r = new Rollout(one, T);
  await r.forward();
  const g = four.createState('g4');
  await noGpuErrors(async () => {
    await expect(r.backward(four.createState('gFinal4'))).rejects.toThrow(/backward: gFinal 'springs.state.gFinal4' has 384 bytes: allowed a state of this simulator, 96 bytes/);
    await expect(r.backward(new Float32Array(24) as unknown as GPUBuffer)).rejects.toThrow(/backward: gFinal is a Float32Array: allowed a GPUBuffer of 96 bytes/);
    await expect(r.backward(one.createState('g'), { inject: new Map([[3, g]]) })).rejects.toThrow(/backward: inject at step 3 'springs.state.g4' has 384 bytes/);
    await expect(r.backward(one.createState('g'), { inject: new Map([[3, new Float32Array(24) as unknown as GPUBuffer]]) })).rejects.toThrow(/inject at step 3 is a Float32Array/);
    // forward's state0 as a buffer: the same check
    await expect(r.forward(four.createState('s4'))).rejects.toThrow(/forward: state0 'springs.state.s4' has 384 bytes: allowed a state of this simulator, 96 bytes/);
  });
  // a refused step or window does not use up the checkpointed tape (it did: 'runs once per forward')
  await expect(r.backward(one.createState('g'), { inject: new Map([[T + 5, one.createState('h')]]) })).rejects.toThrow(`inject: step ${T + 5}: allowed integers in [0, ${T - 1}]`);
  await expect(r.backward(one.createState('g'), { window: 0 })).rejects.toThrow('window = 0: allowed an integer >= 1');
  await expect(r.forward(Float64Array.from(one.state0) as unknown as Float32Array)).rejects.toThrow('forward: state0 is a Float64Array, expected a Float32Array');
  // the refusals left the tape as the forward made it
  const back = await r.backward(one.createState('g'));
  expect(back.size).toBe(96);
  r.destroy();
});

test('ParameterVector.gradient and params.unpack refuse records of another simulator, of another type or copy', () => {
  const p = new ParameterVector(four, ['initialVelocity', 'materials[0].stiffness']);
  const gState1 = new Float32Array(one.stateBytes / 4), gCtrl1 = new Float32Array(one.paramValues.length);
  const gState4 = new Float32Array(four.stateBytes / 4), gCtrl4 = new Float32Array(four.paramValues.length);
  expect(p.gradient(gState4, gCtrl4, undefined, 3).length).toBe(3);
  expect(() => p.gradient(gState1, gCtrl4, undefined, 3)).toThrow(/gradient: gState is a Float32Array of 24: allowed a Float32Array of 96 floats/);
  expect(() => p.gradient(gState4, gCtrl1, undefined, 3)).toThrow(new RegExp(`params.unpack: the packed record is a Float32Array of ${gCtrl1.length}: allowed a Float32Array of ${gCtrl4.length} floats`));
  expect(() => p.gradient(gState4, Float64Array.from(gCtrl4) as unknown as Float32Array)).toThrow(/params.unpack: the packed record is a Float64Array/);
  expect(() => one.params.values(1)).toThrow(/params.values: copy = 1: allowed an integer in \[0, 0\]/);
  expect(() => four.params.unpack(gCtrl4, 4)).toThrow(/params.unpack: copy = 4: allowed an integer in \[0, 3\]/);
  expect(() => four.params.pack(gCtrl4, -1, four.params.values(0))).toThrow(/params.pack: copy = -1/);
});

test('a destroyed rollout, objective or device says so, with no WebGPU error behind it', async () => {
  const r = new Rollout(one, T);
  await r.forward();
  r.destroy();
  await noGpuErrors(async () => {
    await expect(r.forward()).rejects.toThrow('tape: forward on a destroyed rollout (destroy()); create another');
    expect(() => r.final).toThrow('tape: final on a destroyed rollout');
  });
  const scene = sceneBase({ name: 'jelly', dim: 2, res: [16, 16], dt: 1e-3, steps: 4, gravity: gravity(2), boundary: { walls: 'separate', boundCells: 3 } });
  fillBox(scene, addGroup(scene, { name: 'jelly', material: 'elastic', E: 300, nu: 0.3, density: 1 }), [0.4, 0.4], [0.6, 0.6]);
  scene.loss = { kind: 'com-target', target: [0.5, 0.3] };
  const o = await createObjective(gpu, scene, { params: ['groups[0].E'], steps: 4 });
  o.destroy();
  await noGpuErrors(async () => {
    await expect(o.gradient(o.initial())).rejects.toThrow('objective.gradient: this objective was destroyed');
    await expect(o.losses([o.initial()])).rejects.toThrow('objective.losses: this objective was destroyed');
  });
  const sim = await createSimulator(gpu, chain2d({ steps: T }));
  sim.destroy();
  await noGpuErrors(async () => { expect(() => sim.writeParams(sim.paramValues.slice())).toThrow(/its simulator was destroyed/); });

  const other = await requestGpu();
  const s = await createSimulator(other, chain2d({ steps: T }));
  const rr = new Rollout(s, T);
  other.destroy();
  await expect(rr.forward()).rejects.toThrow('tape: forward on a destroyed device (gpu.destroy() was called)');
  await expect(createSimulator(other, chain2d({ steps: T }))).rejects.toThrow('gpu: this GpuContext was destroyed (gpu.destroy()); requestGpu() another');
});

test('createSimulator and createObjective reject their promise on a bad scene (they threw before it existed)', async () => {
  const bad = chain2d({ steps: T });
  bad.dt = -1;
  const p = createSimulator(gpu, bad);
  await expect(p).rejects.toThrow(/scene.dt = -1/);
  await expect(createObjective(gpu, bad, { params: ['materials[0].stiffness'], steps: T })).rejects.toThrow(/scene.dt = -1/);
  // the batch option, by its name (it was 'validateSpringScene: batch = 0 must be a positive integer')
  for (const batch of [0, 1.5, NaN]) await expect(createSimulator(gpu, chain2d({ steps: T }), { batch })).rejects.toThrow(`batch = ${batch}: allowed an integer >= 1 (the batch copies stepped together: createSimulator's batch option)`);
});

test('inputsBatch with fewer points than copies: the rest keep the scene\'s initial state and the controls last written (docs/library.md)', () => {
  const p = new ParameterVector(four, ['materials[0].stiffness', 'initialVelocity']);
  const k = four.params.blocks.find((b) => b.name === 'materials[0].stiffness')!.indices[0];
  const scene = four.params.values(0)[k];
  const saved = four.paramValues.slice();
  four.writeParams(p.inputsBatch([2, 3, 4, 5].map((s) => Float64Array.of(s, 0.1, 0.2))).ctrl);
  const { state0, ctrl } = p.inputsBatch([Float64Array.of(6, 0, 0)]);
  expect([0, 1, 2, 3].map((b) => four.params.unpack(ctrl, b)[k] / scene)).toEqual([6, 3, 4, 5]);
  expect(Buffer.from(state0.buffer, state0.byteOffset + one.stateBytes).equals(Buffer.from(four.state0.buffer, four.state0.byteOffset + one.stateBytes))).toBe(true);
  four.writeParams(saved);
});

test('gradcheck refuses options it cannot judge by, before any rollout (a tolerance of -1 passed every check)', async () => {
  const subject = await gradcheckSubject(gpu, chain2d({ steps: T }));
  try {
    await expect(gradcheck(subject, { steps: 5, tolerance: -1 })).rejects.toThrow(`gradcheck: tolerance = -1: allowed a relative error > 0 (the subject's own: ${subject.tolerance})`);
    await expect(gradcheck(subject, { steps: 5, tolerance: NaN })).rejects.toThrow('gradcheck: tolerance = NaN');
    await expect(gradcheck(subject, { steps: 5, seed: NaN })).rejects.toThrow('gradcheck: seed = NaN: allowed an integer >= 0');
    await expect(gradcheck(subject, { steps: 0 })).rejects.toThrow('gradcheck: steps = 0: allowed an integer >= 1');
    await expect(gradcheck(subject, { steps: 5, concurrency: 0 })).rejects.toThrow('gradcheck: concurrency = 0');
  } finally {
    subject.destroy?.();
  }
});

test('a controller scene: a goal that is not a finite vector of the goal input\'s length, and actuation.periodic, are refused by what they are', async () => {
  const scene = { ...(buildScene('spring-walker-2d') as SpringScene), steps: 20 };
  // a NaN goal went through to the MLP and came back as a NaN loss
  await expect(createObjective(gpu, scene, { params: ['controller'], steps: 20, goals: [[0.2], [NaN]] })).rejects.toThrow("goals[1] = [NaN]: allowed a vector of 1 finite number (the controller's goal input)");
  await expect(createObjective(gpu, scene, { params: ['controller'], steps: 20, goals: [[0.1, 0.2]] })).rejects.toThrow('goals[0] = [0.1, 0.2]: allowed a vector of 1 finite number');
  // it said 'this scene has no actuation channels' of a scene with four
  const sim = await createSimulator(gpu, scene);
  try {
    expect(() => new ParameterVector(sim, ['actuation.periodic'])).toThrow("'actuation.periodic': this scene's controller sets its actuation every step: tune 'controller'");
  } finally {
    sim.destroy();
  }
});
