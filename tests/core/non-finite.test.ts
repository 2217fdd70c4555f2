// A backward that goes non-finite while the forward stays finite is located: the step whose
// adjoint first left dL/d(state) non-finite and the fields it did in, then named in words for the
// optimizer's error. The subject is the ballistic simulator with a drag of -1e7: its forward from
// rest never moves (v stays 0), while its adjoint multiplies dL/dv by 1 - k dt = 1 + 1e5 every
// step, so float32 overflows a known number of steps into the backward.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import { firstNonFiniteAdjoint, Rollout } from '../../src/core/rollout';
import { createLoss } from '../../src/core/loss';
import { describeNonFinite } from '../../src/opt/loop';
import { BallisticSim, type BallisticScene } from '../helpers/ballistic-sim';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

const T = 30;

test('the first step adjoint to go non-finite, and its field, while the forward stays finite', async () => {
  const n = 8;
  const s: BallisticScene = {
    dim: 2, dt: 0.01, g: 0, drag: -1e7,
    state0: Array.from({ length: n * 4 }, (_, i) => (i % 4 < 2 ? 0.2 + 0.05 * i : 0)),
    push: new Array(T).fill(0),
  };
  const sim = await BallisticSim.create(gpu, s);
  const loss = await createLoss(sim, { kind: 'com-target', target: [0.9, 0.9] });
  for (const mode of ['full', 'auto'] as const) {
    const r = new Rollout(sim, T, mode);
    expect((await r.forward()).badStep).toBeNull();
    const L = await loss.evaluate(r.final.buf);
    expect(Number.isFinite(L.values[0])).toBe(true);
    const g = await readF32(gpu.device, await r.backward(loss.grad));
    expect(g.every(Number.isFinite)).toBe(false);
    // dL/dx ~ 0.1 per item: the first adjoint leaves |dL/dv| ~ 1e-3 (1e5 dt dL/dx), and each
    // step multiplies it by 1e5 until it passes 3.4e38: eight more adjoints
    const found = await firstNonFiniteAdjoint(r, sim.state0, loss.grad);
    expect(found, mode).not.toBeNull();
    expect(found!.step).toBe(T - 9);
    expect(found!.fields).toEqual(['v']);
    r.destroy();
  }
  // a finite backward has no such step
  sim.destroy();
  const calm = await BallisticSim.create(gpu, { ...s, drag: 0.5 });
  const loss2 = await createLoss(calm, { kind: 'com-target', target: [0.9, 0.9] });
  const r = new Rollout(calm, T);
  await r.forward();
  await loss2.evaluate(r.final.buf);
  expect(await firstNonFiniteAdjoint(r, calm.state0, loss2.grad)).toBeNull();
  r.destroy();
  loss.destroy();
  loss2.destroy();
  calm.destroy();
});

test('the optimizer names the step, the fields and the parameter kinds, latest row first', () => {
  const m = describeNonFinite({
    adjoint: { step: 21, fields: ['v'] },
    blocks: [{ name: 'actuation', kind: 'actuation', step: 21 }, { name: 'drag', kind: 'material', step: null }],
    initialState: true,
  });
  expect(m).toBe("dL/d(state) first went non-finite in the adjoint of step 21 ('v'); the first parameter gradient to go non-finite is 'actuation' (actuation) from step 21 back, then 'drag' (material); dL/d(initial state) is non-finite");
});
