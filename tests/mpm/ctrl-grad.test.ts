// The control gradient's sums (MpmSim.encodeCtrlGrads, through Reducer.encodeTargetedSum): groups
// that share an actuation channel add into one entry per step. One dispatch's workgroups do not
// order their writes, so such groups go into separate dispatches (targetLayers), and the entry must
// be exactly the two groups' terms added, as a scene with a channel per group gives them.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import { MpmSim } from '../../src/mpm/simulator';
import { Rollout } from '../../src/core/rollout';
import type { MpmScene } from '../../src/mpm/scene';
import { tinyScene } from '../helpers/tiny-scenes';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

const B = 2;
const T = 10;

/** Both groups actuated, the body on channel `bodyChannel`, two channels with the same values. */
function scene(bodyChannel: 0 | 1): MpmScene {
  const s = tinyScene({ dim: 2, material: 'elastic', actuated: true, seed: 8 });
  s.groups[0].actuator = { channel: bodyChannel, strength: 15, fiber: [1, 0] };
  const one = s.actuation!.values!;
  s.actuation = { channels: 2, values: one.flatMap((v) => [v, v]) };
  return s;
}

async function gradients(s: MpmScene, cacheFrom?: MpmSim) {
  const sim = await MpmSim.create(gpu, s, { batch: B, cache: cacheFrom?.cache });
  const g = sim.createState('g', new Float32Array(sim.stateFloats).map((_, i) => Math.cos(i * 0.61)));
  const r = new Rollout(sim, T, 'auto');
  await r.forward();
  const final = await readF32(gpu.device, r.final.buf);
  await r.backward(g);
  const gCtrl = await readF32(gpu.device, sim.adjoint.gCtrl);
  r.destroy();
  g.destroy();
  return { sim, final, gCtrl };
}

test('groups sharing an actuation channel: the entry is the sum of their terms, bit for bit, every step and copy', async () => {
  const split = await gradients(scene(1));
  const shared = await gradients(scene(0), split.sim);
  // the same forward (both channels carry the same values)
  expect(Buffer.from(shared.final.buffer).equals(Buffer.from(split.final.buffer))).toBe(true);
  const { actOff } = split.sim.packed.ctrlLayout;
  const H = split.sim.packed.horizon;
  expect(H).toBeGreaterThanOrEqual(T); // one term per group and step: no row is added to twice
  let nonzero = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < H; t++) {
      const at = (g: Float32Array, ch: number) => g[actOff + (b * H + t) * 2 + ch];
      // the body's term, then the muscle's, in two dispatches (targetLayers)
      expect(at(shared.gCtrl, 0), `copy ${b} step ${t}`).toBe(Math.fround(at(split.gCtrl, 0) + at(split.gCtrl, 1)));
      expect(at(shared.gCtrl, 1)).toBe(0);
      if (t < T && at(split.gCtrl, 0) !== 0 && at(split.gCtrl, 1) !== 0) nonzero++;
    }
  }
  expect(nonzero).toBe(B * T);
  // everything else of the gradient is the same
  const rest = (g: Float32Array) => Buffer.from(g.slice(0, actOff).buffer);
  expect(rest(shared.gCtrl).equals(rest(split.gCtrl))).toBe(true);
  // and it is reproducible
  const again = await gradients(scene(0), split.sim);
  expect(Buffer.from(again.gCtrl.buffer).equals(Buffer.from(shared.gCtrl.buffer))).toBe(true);
  for (const r of [split, shared, again]) r.sim.destroy();
});
