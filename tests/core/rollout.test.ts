import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { MpmSim } from '../../src/mpm/simulator';
import { Rollout } from '../../src/core/rollout';
import { createLoss, type Loss } from '../../src/core/loss';
import { readF32 } from '../../src/gpu/buffers';
import { recordFrames } from '../../src/core/record';
import { tinyScene } from '../helpers/tiny-scenes';
import { SpringSim } from '../../src/springs/simulator';
import { chain2d } from '../helpers/spring-scenes';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

async function gradient(sim: MpmSim, loss: Loss, T: number, mode: 'full' | 'auto' | number, state0 = sim.packed.state0) {
  const r = new Rollout(sim, T, mode);
  await r.forward(state0);
  const L = await loss.evaluate(r.final.buf);
  const g0 = await r.backward(loss.grad);
  const g = await readF32(gpu.device, g0);
  const gc = await readF32(gpu.device, sim.adjoint.gCtrl);
  r.destroy();
  return { L: L.values[0], g, gc };
}

test('checkpointed gradient equals the full tape bit for bit, and reruns are identical', async () => {
  const sim = await MpmSim.create(gpu, tinyScene({ dim: 2, material: 'elastic', actuated: true, collider: true }));
  const loss = await createLoss(sim, { kind: 'com-target', target: [0.5, 0.3] });
  const T = 30;
  const full = await gradient(sim, loss, T, 'full');
  const auto = await gradient(sim, loss, T, 'auto');
  const k4 = await gradient(sim, loss, T, 4);
  // one-step segments: each step adjoint fuses the local adjoint of the step before across the
  // segment boundary, since that state is the previous segment's checkpoint
  const k1 = await gradient(sim, loss, T, 1);
  const again = await gradient(sim, loss, T, 'auto');
  expect(Buffer.from(auto.g.buffer).equals(Buffer.from(full.g.buffer))).toBe(true);
  expect(Buffer.from(k4.g.buffer).equals(Buffer.from(full.g.buffer))).toBe(true);
  expect(Buffer.from(k1.g.buffer).equals(Buffer.from(full.g.buffer))).toBe(true);
  expect(Buffer.from(k1.gc.buffer).equals(Buffer.from(full.gc.buffer))).toBe(true);
  expect(Buffer.from(auto.gc.buffer).equals(Buffer.from(full.gc.buffer))).toBe(true);
  expect(Buffer.from(again.g.buffer).equals(Buffer.from(auto.g.buffer))).toBe(true);
  expect(full.g.some((x) => x !== 0)).toBe(true);
  // quick float32 sanity of d L / d v0 (the float64 proof is in gradcheck tests)
  const d = sim.dim, ps = 2 * d + 2 * d * d;
  const dir = (p: number, i: number) => Math.sin(p * 1.7 + i);
  let an = 0;
  for (let p = 0; p < sim.packed.n; p++) for (let i = 0; i < d; i++) an += full.g[p * ps + d + i] * dir(p, i);
  const eps = 1e-2;
  const shifted = (s: number) => {
    const s0 = sim.packed.state0.slice();
    for (let p = 0; p < sim.packed.n; p++) for (let i = 0; i < d; i++) s0[p * ps + d + i] += s * eps * dir(p, i);
    return s0;
  };
  const lp = (await gradient(sim, loss, T, 'full', shifted(1))).L;
  const lm = (await gradient(sim, loss, T, 'full', shifted(-1))).L;
  const num = (lp - lm) / (2 * eps);
  console.log('analytic', an, 'numeric', num);
  expect(Math.sign(an)).toBe(Math.sign(num));
  expect(Math.abs(an - num) / Math.abs(num)).toBeLessThan(0.05);
  loss.destroy();
  sim.destroy();
});

test('the final state is refused after a checkpointed backward reused its slot', async () => {
  const sim = await MpmSim.create(gpu, tinyScene({ dim: 2, material: 'elastic' }));
  const r = new Rollout(sim, 10, 'auto');
  await r.forward();
  const g = sim.createState('g', new Float32Array(sim.stateFloats).fill(0.1));
  expect(r.final.holds).toBe(10);
  await r.backward(g);
  expect(() => r.final).toThrow(/final state \(step 10\) is gone .* read it after forward, before backward/);
  r.destroy();
  g.destroy();
  sim.destroy();
});

test('a reused rollout recomputes every state of the new forward, and refuses a control written since', async () => {
  // T = 50, checkpoints every 8 steps: 7 segments in 14 slots, so the recompute slots of the last
  // segments still hold the last backward's states when the next forward starts; the forward's
  // own states of the last segment are left there for the backward to use
  const sim = await MpmSim.create(gpu, tinyScene({ dim: 2, material: 'elastic', actuated: true }));
  const loss = await createLoss(sim, { kind: 'com-target', target: [0.5, 0.3] });
  const T = 50;
  const r = new Rollout(sim, T, 8);
  expect(r.schedule.slots).toBeGreaterThan(r.schedule.starts.length + 1);
  const kicked = sim.packed.state0.slice();
  const ps = 2 * sim.dim + 2 * sim.dim * sim.dim;
  for (let p = 0; p < sim.packed.n; p++) kicked[p * ps + sim.dim] += 0.3;
  const run = async (state0: Float32Array) => {
    await r.forward(state0);
    await loss.evaluate(r.final.buf);
    return readF32(gpu.device, await r.backward(loss.grad));
  };
  await run(sim.packed.state0);
  const reused = await run(kicked);
  const fresh = await gradient(sim, loss, T, 'full', kicked);
  expect(Buffer.from(reused.buffer).equals(Buffer.from(fresh.g.buffer))).toBe(true);

  await r.forward(kicked);
  sim.writeParams(sim.packed.ctrl);
  await expect(r.backward(loss.grad)).rejects.toThrow(/controls .* were written since the forward/);
  r.destroy();
  loss.destroy();
  sim.destroy();
});

test('a backward refuses once other steps ran on its simulator since its forward (they rewrote per-step records); a new forward is exact again', async () => {
  // a step may leave records its adjoint reads in the simulator (MPM's particle order when it
  // sorts, a controller's actuation row); a rollout in between could leave its own, so any other
  // steps since the forward make the backward refuse
  const sim = await MpmSim.create(gpu, tinyScene({ dim: 2, material: 'elastic', actuated: true }));
  const loss = await createLoss(sim, { kind: 'com-target', target: [0.5, 0.3] });
  const T = 24;
  const kicked = sim.packed.state0.slice();
  const ps = 2 * sim.dim + 2 * sim.dim * sim.dim;
  for (let p = 0; p < sim.packed.n; p++) kicked[p * ps + sim.dim] += 2;
  const clean = await gradient(sim, loss, T, 'auto');
  const r = new Rollout(sim, T, 'auto');
  await r.forward();
  await loss.evaluate(r.final.buf);
  const other = new Rollout(sim, T, 'full');
  await other.forward(kicked);
  await expect(r.backward(loss.grad)).rejects.toThrow(/ran 24 steps of other work .* since this rollout's forward.*run forward again/);
  await recordFrames(sim, 5, 5);
  await r.forward();
  await loss.evaluate(r.final.buf);
  const again = await readF32(gpu.device, await r.backward(loss.grad));
  expect(Buffer.from(again.buffer).equals(Buffer.from(clean.g.buffer))).toBe(true);
  r.destroy();
  other.destroy();
  loss.destroy();
  sim.destroy();
});

test('states of the wrong size are refused by name, and a step kept by an earlier forward only is not handed out', async () => {
  const sim = await MpmSim.create(gpu, tinyScene({ dim: 2, material: 'elastic' }));
  const r = new Rollout(sim, 6, 'auto');
  const n = sim.stateBytes / 4;
  await expect(r.forward(new Float32Array(n - 1))).rejects.toThrow(`forward: state0: ${n - 1} floats, expected ${n}`);
  // what params.inputs(theta) returns, handed over whole by an untyped (JavaScript) host program
  await expect(r.forward({ state0: sim.packed.state0, ctrl: new Float32Array(1) } as never)).rejects.toThrow('forward: state0 is object, expected a Float32Array or a GPUBuffer of a whole state: this looks like params.inputs(theta), whose .state0 is the state');
  // a NaN in the initial state is named (copy, item, field), not reported as a blow-up at step 0
  const bad = sim.packed.state0.slice();
  const { stride, fields } = sim.state, v = fields.find((f) => f.name === 'v')!;
  bad[3 * stride + v.offset + 1] = NaN;
  await expect(r.forward(bad)).rejects.toThrow(`forward: state0[${3 * stride + v.offset + 1}] = NaN (copy 0, item 3, field v[1]) is not finite: allowed finite numbers`);
  expect(() => sim.createState('dL/dfinal', new Float32Array(3))).toThrow(`createState 'dL/dfinal': 3 floats, expected ${n}`);
  await r.forward(sim.packed.state0, { keep: [2] });
  const small = sim.device.createBuffer({ label: 'small', size: 64, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  await expect(r.backward(small)).rejects.toThrow(`backward: gFinal 'small' has 64 bytes: allowed a state of this simulator, ${sim.stateBytes} bytes`);
  expect(r.kept(2)).toBeDefined();
  await r.forward();
  expect(() => r.kept(2)).toThrow(/step 2 was not kept/);
  // a checkpointed backward uses up its tape; a full tape can be reversed again, to the same bytes
  const g = sim.createState('g', new Float32Array(n).fill(0.1));
  await r.backward(g);
  await expect(r.backward(g)).rejects.toThrow(/runs once per forward: run forward again/);
  const full = new Rollout(sim, 6, 'full');
  await full.forward();
  const once = await readF32(gpu.device, await full.backward(g));
  const twice = await readF32(gpu.device, await full.backward(g));
  expect(Buffer.from(twice.buffer).equals(Buffer.from(once.buffer))).toBe(true);
  full.destroy();
  g.destroy();
  small.destroy();
  r.destroy();
  sim.destroy();
});

test('a long rollout waits for the GPU every stepsPerWait steps, forward and backward, and its gradient is unchanged', async () => {
  // Dawn on lavapipe crashed the process (a segmentation fault) with some 70,000 spring-robot steps
  // in flight: a 100,000-step rollout, the longest a scene may have, submitted them all at once
  const sim = await MpmSim.create(gpu, tinyScene({ dim: 2, material: 'elastic', actuated: true }));
  const loss = await createLoss(sim, { kind: 'com-target', target: [0.5, 0.3] });
  const T = 40;
  const whole = await gradient(sim, loss, T, 'auto');
  const r = new Rollout(sim, T, 'auto');
  r.stepsPerSubmit = 4;
  r.stepsPerWait = 8;
  const queue = r.queue;
  let waits = 0;
  r.queue = { ...queue, idle: () => { waits++; return queue.idle(); } };
  await r.forward();
  expect(waits).toBeGreaterThanOrEqual(T / 8);
  await loss.evaluate(r.final.buf);
  waits = 0;
  const g = await readF32(gpu.device, await r.backward(loss.grad));
  expect(waits).toBeGreaterThanOrEqual(T / 8);
  expect(Buffer.from(g.buffer).equals(Buffer.from(whole.g.buffer))).toBe(true);
  expect(Buffer.from((await readF32(gpu.device, sim.adjoint.gCtrl)).buffer).equals(Buffer.from(whole.gc.buffer))).toBe(true);
  r.destroy();
  loss.destroy();
  sim.destroy();
});

test('a rollout longer than the device can hold a step table for is refused by name, and leaves its simulator working', async () => {
  // new Rollout(sim, 1e9, 'full') threw V8's 'Invalid typed array length: 256000000000' after
  // destroying the simulator's step table: every later forward then failed on the GPU, no error thrown
  for (const sim of [await MpmSim.create(gpu, tinyScene({ dim: 2, material: 'elastic' })), await SpringSim.create(gpu, chain2d())]) {
    const r = new Rollout(sim, 10);
    await r.forward();
    const before = await readF32(gpu.device, r.final.buf);
    const most = Math.floor(gpu.limits.maxBufferSize / 256);
    expect(() => new Rollout(sim, 1e9, 'full')).toThrow(`steps = 1000000000: the step table takes 256 bytes a step, and this device's largest buffer (maxBufferSize ${gpu.limits.maxBufferSize} bytes) holds ${most}: allowed at most ${most} steps`);
    await expect(recordFrames(sim, 1e9, 1e9)).rejects.toThrow('steps = 1000000000: the step table');
    await r.forward();
    expect(Buffer.from((await readF32(gpu.device, r.final.buf)).buffer).equals(Buffer.from(before.buffer))).toBe(true);
    r.destroy();
    sim.destroy();
  }
});
