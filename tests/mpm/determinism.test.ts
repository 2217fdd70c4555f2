// Runs are reproducible bit for bit: every scatter goes through integer (fixed-point) atomics, so the
// order in which threads add does not matter. Forward + backward repeated on one simulator and on
// fresh simulators (new buffers, pipelines and bind groups each time, the pattern that once crashed
// Dawn) must give identical bytes for the final state, dL/d(initial state) and dL/d(ctrl).
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import { MpmSim } from '../../src/mpm/simulator';
import { rng } from '../../src/core/finite-diff';
import { Rollout } from '../../src/core/rollout';
import { tinyScene, type TinyOptions } from '../helpers/tiny-scenes';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

const T = 25;
/** Fresh simulators per case; each runs forward + backward twice. */
const REPEATS = 3;

const hex = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

interface RunBytes { final: string; g0: string; gCtrl: string }

async function forwardBackward(sim: MpmSim, gFinal: Float32Array): Promise<RunBytes> {
  const roll = new Rollout(sim, T, 'auto');
  await roll.forward();
  const final = await readF32(gpu.device, roll.final.buf);
  const gBuf = sim.createState('g_final', gFinal);
  const g0 = await readF32(gpu.device, await roll.backward(gBuf));
  const gCtrl = await readF32(gpu.device, sim.adjoint.gCtrl);
  gBuf.destroy();
  roll.destroy();
  expect(final.every(Number.isFinite) && g0.every(Number.isFinite) && gCtrl.every(Number.isFinite)).toBe(true);
  expect(g0.some((x) => x !== 0)).toBe(true);
  return { final: hex(final), g0: hex(g0), gCtrl: hex(gCtrl) };
}

const cases: [string, TinyOptions][] = [
  ['2D fluid', { dim: 2, material: 'fluid', seed: 51 }],
  ['2D elastoplastic, actuated, collider', { dim: 2, material: 'elastoplastic', actuated: true, collider: true, hi: 0.55, seed: 52 }],
  ['3D fluid', { dim: 3, material: 'fluid', seed: 53 }],
  ['3D elastic, actuated, collider', { dim: 3, material: 'elastic', actuated: true, collider: true, hi: 0.55, seed: 54 }],
];

for (const [name, opts] of cases) {
  test(`${name}: forward + backward give identical bytes, run after run and simulator after simulator`, async () => {
    const scene = tinyScene(opts);
    let first: RunBytes | null = null;
    let gFinal: Float32Array | null = null;
    for (let r = 0; r < REPEATS; r++) {
      const sim = await MpmSim.create(gpu, scene);
      if (!gFinal) {
        const rand = rng(opts.seed ?? 1);
        gFinal = Float32Array.from({ length: sim.stateFloats }, () => rand() - 0.5);
      }
      for (const again of [false, true]) {
        const run = await forwardBackward(sim, gFinal);
        const what = `repeat ${r}${again ? ', second run on the same simulator' : ''}`;
        if (!first) { first = run; continue; }
        // Compared field by field so a failure says which one differs (toEqual on hex would print megabytes).
        expect(run.final === first.final, `${what}: final state`).toBe(true);
        expect(run.g0 === first.g0, `${what}: dL/dstate0`).toBe(true);
        expect(run.gCtrl === first.gCtrl, `${what}: dL/dctrl`).toBe(true);
      }
      sim.destroy();
      await gpu.checkErrors();
    }
  });
}
