// What happens when a rollout goes wrong: particles leaving the grid are clamped and counted, a
// blow-up is reported with the first bad step, and the tape refuses a backward pass whose stored
// states were overwritten.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import { MpmSim } from '../../src/mpm/simulator';
import { particleStride } from '../../src/mpm/layout';
import { refModel, refState0, rollout } from '../../src/mpm/reference';
import { rng } from '../../src/core/finite-diff';
import { Rollout, RolloutError } from '../../src/core/rollout';
import { tinyScene, type TinyOptions } from '../helpers/tiny-scenes';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/**
 * Clamped particle-steps, GPU vs the float64 reference, relative. Equal on lavapipe (2D 1631, 3D
 * 2796); a particle within f32 rounding (~1e-7) of a bound could count differently elsewhere.
 */
const CLAMP_COUNT_TOL = 0.01;

for (const dim of [2, 3] as const) {
  test(`${dim}D: particles driven out of the grid are clamped to [dx, (res - 2) dx] and counted`, async () => {
    // No walls (boundCells 0) and a fast drift toward the low x and high y corner: only g2p's clamp
    // keeps the block inside the grid.
    const velocity = dim === 2 ? [-12, 4] : [-12, 4, 3];
    const sim = await MpmSim.create(gpu, tinyScene({ dim, material: 'fluid', boundCells: 0, velocity, gravity: false, seed: 60 + dim }));
    const T = 40;
    const roll = new Rollout(sim, T, 'auto');
    const status = await roll.forward();
    const s = await readF32(gpu.device, roll.final.buf);
    const { dx, res } = sim.scene.grid;
    const ps = particleStride(dim);
    expect(status.clamped).toBeGreaterThan(0);
    expect(status.badStep).toBeNull();
    expect(s.every(Number.isFinite)).toBe(true);
    let atWall = 0;
    for (let p = 0; p < sim.packed.n; p++) {
      for (let i = 0; i < dim; i++) {
        const x = s[p * ps + i];
        // Math.fround: the bounds as the GPU computes them in f32.
        expect(x).toBeGreaterThanOrEqual(Math.fround(dx));
        expect(x).toBeLessThanOrEqual(Math.fround((res[i] - 2) * dx));
        if (i === 0 && x === Math.fround(dx)) atWall++;
      }
    }
    expect(atWall).toBeGreaterThan(0);
    // The count is per particle-step, as the reference counts it.
    const stats = { clamped: 0 };
    rollout(refModel(sim.packed), refState0(sim.packed), T, stats);
    console.log(`${dim}D clamped particle-steps: GPU ${status.clamped}, reference ${stats.clamped}; ${atWall} particles at x = dx`);
    expect(Math.abs(status.clamped - stats.clamped)).toBeLessThanOrEqual(CLAMP_COUNT_TOL * stats.clamped);
    roll.destroy();
    sim.destroy();
  });
}

// Built without validateScene, which refuses both (E over the CFL limit, dt over a cell per step).
const blowUps: [string, TinyOptions][] = [
  ['a stiffness far over the CFL limit (E = 1e7)', { dim: 2, material: 'elastic', E: 1e7, seed: 71 }],
  ['a huge time step (dt = 0.02)', { dim: 2, material: 'elastic', dt: 2e-2, seed: 72 }],
  ['3D, E = 1e7', { dim: 3, material: 'elastoplastic', E: 1e7, seed: 73 }],
];

for (const [name, opts] of blowUps) {
  test(`a blow-up from ${name} throws a RolloutError naming the first bad step`, async () => {
    const sim = await MpmSim.create(gpu, tinyScene(opts));
    const T = 40;
    const roll = new Rollout(sim, T, 'auto');
    const err = await roll.forward().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(RolloutError);
    const e = err as RolloutError;
    console.log(`${name}: ${e.message}`);
    expect(typeof e.step).toBe('number');
    expect(e.step!).toBeGreaterThanOrEqual(0);
    expect(e.step!).toBeLessThan(T);
    expect(e.message).toContain(`step ${e.step}`);
    // no actuator outruns its material here: the advice is the stiffness, dt and the speeds
    expect(e.message).not.toContain('actuator');
    // The first bad step: the rollout that stops just before it is clean, one step more is not.
    if (e.step! > 0) {
      const before = new Rollout(sim, e.step!, 'full');
      expect((await before.forward()).badStep).toBeNull();
      before.destroy();
    }
    const upTo = new Rollout(sim, e.step! + 1, 'full');
    await expect(upTo.forward()).rejects.toMatchObject({ name: 'RolloutError', step: e.step });
    upTo.destroy();
    // The status is reset by the next forward: with a sane stiffness the same simulator runs clean.
    if (opts.E) {
      const ctrl = sim.packed.ctrl.slice();
      ctrl[sim.packed.ctrlLayout.groupsOff] = 60;
      sim.writeParams(ctrl);
      expect((await roll.forward()).badStep).toBeNull();
    }
    roll.destroy();
    sim.destroy();
  });
}

test('a blow-up driven by an actuator names the actuator, its strength and the activations, not only dt and E', async () => {
  // the scene itself is sane (it validates); the controls written later (an optimizer's step, a host
  // program) drive its muscle with activations of 1e4, whose active stress stiffens it thousands of times past E
  const sim = await MpmSim.create(gpu, tinyScene({ dim: 2, material: 'elastic', actuated: true, seed: 74 }));
  const act = sim.params.blocks.find((b) => b.name === 'actuation')!;
  const ctrl = sim.params.values(0);
  for (const i of act.indices) ctrl[i] = 1e4;
  sim.writeParams(Float32Array.from(ctrl));
  const roll = new Rollout(sim, 20, 'auto');
  const err = await roll.forward().then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(RolloutError);
  const msg = (err as RolloutError).message;
  console.log(msg);
  expect(msg).toContain(`step ${(err as RolloutError).step}`);
  expect(msg).toMatch(/The actuator of groups\[1\] "muscle" stiffens it \d+x beyond its material \(strength 20 at \|a\| up to 1\.00e\+4 in actuation channel 0\): lower the strength or the activations/);
  // a ratio past a million reads in three figures, not Math.round's seventeen digits
  for (const i of act.indices) ctrl[i] = 1e30;
  sim.writeParams(Float32Array.from(ctrl));
  const huge = await roll.forward().then(() => null, (e: unknown) => e);
  expect((huge as RolloutError).message).toMatch(/stiffens it \d\.\de\+\d+x beyond its material/);
  roll.destroy();
  sim.destroy();
});

test('a blow-up from a Young\'s modulus written past the time step\'s limit names the group, E as written and the dt it needs', async () => {
  // the scene validates at its own E; an optimizer tuning groups[0].E (a sysid run at a large rate)
  // writes one 400x stiffer, whose waves outrun a cell per step
  const scene = tinyScene({ dim: 2, material: 'elastic', seed: 74 });
  const sim = await MpmSim.create(gpu, scene);
  const E = sim.params.blocks.find((b) => b.name === 'groups[0].E')!;
  const ctrl = sim.params.values(0);
  ctrl[E.indices[0]] *= 400;
  sim.writeParams(Float32Array.from(ctrl));
  const roll = new Rollout(sim, 40, 'auto');
  const err = await roll.forward().then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(RolloutError);
  const msg = (err as RolloutError).message;
  expect(msg).toContain(`step ${(err as RolloutError).step}`);
  expect(msg).toMatch(new RegExp(`groups\\[0\\] "${scene.groups[0].name}" as written \\(E = [0-9.e+]+, nu = [0-9.]+\\) needs dt <= [0-9.e-]+, below the scene's ${scene.dt} \\(the scene's own: E = ${scene.groups[0].E}, nu = ${scene.groups[0].nu}\\): lower E or nu, or dt`));
  roll.destroy();
  sim.destroy();
});

test('the tape refuses a second backward over states it has overwritten, and a new forward restores it', async () => {
  const sim = await MpmSim.create(gpu, tinyScene({ dim: 2, material: 'elastic', actuated: true, seed: 80 }));
  const T = 10; // 'auto': segments of 4, 3, 2, 1 steps from 4 slots
  const rand = rng(80);
  const gFinal = sim.createState('g_final', Float32Array.from({ length: sim.stateFloats }, () => rand() - 0.5));
  const roll = new Rollout(sim, T, 'auto');
  expect(roll.schedule.starts).toEqual([0, 4, 7, 9]);
  await roll.forward();
  const g1 = await readF32(gpu.device, await roll.backward(gFinal));
  const c1 = await readF32(gpu.device, sim.adjoint.gCtrl);
  // Backward recomputed each segment into slots freed by later checkpoints: checkpoint 3 (step 9)
  // has been overwritten by segment 0's recomputation, and the tape refuses a second backward.
  expect(roll.stateAt(9)).toBeNull();
  await expect(roll.backward(gFinal)).rejects.toThrow(/^tape: a checkpointed backward .* runs once per forward/);
  // A new forward restores the checkpoints; the gradient is the same, bit for bit.
  await roll.forward();
  const g2 = await readF32(gpu.device, await roll.backward(gFinal));
  const c2 = await readF32(gpu.device, sim.adjoint.gCtrl);
  expect(bytes(g2).equals(bytes(g1))).toBe(true);
  expect(bytes(c2).equals(bytes(c1))).toBe(true);
  // The full tape overwrites nothing: a second backward is allowed and gives the same gradient.
  const full = new Rollout(sim, T, 'full');
  await full.forward();
  const f1 = await readF32(gpu.device, await full.backward(gFinal));
  const f2 = await readF32(gpu.device, await full.backward(gFinal));
  expect(bytes(f1).equals(bytes(g1))).toBe(true);
  expect(bytes(f2).equals(bytes(g1))).toBe(true);
  full.destroy();
  roll.destroy();
  gFinal.destroy();
  sim.destroy();
});
