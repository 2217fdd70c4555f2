// The control regularizers ('effort', 'smoothness') of a loss: float64 on the host, their values
// and gradients in closed form, added to the rollout's control gradient by the objective, and
// refused on a block that is not an open-loop per-step control.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { createLoss, type LossDesc } from '../../src/core/loss';
import { Rollout } from '../../src/core/rollout';
import { createSimulator } from '../../src/simulators';
import { SceneObjective } from '../../src/opt/objective';
import { buildScene } from '../../scenes/index';
import { SceneError } from '../../src/core/scene-error';
import { tinyScene } from '../helpers/tiny-scenes';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

test('effort and smoothness: values and gradients of the actuation track, weighted into a sum', async () => {
  const sim = await createSimulator(gpu, tinyScene({ dim: 2, material: 'elastic', actuated: true }));
  const act = sim.params.blocks.find((b) => b.name === 'actuation')!;
  const c = sim.params.values(0);
  act.indices.forEach((i, k) => { c[i] = Math.sin(0.37 * k + 0.2); });
  const packed = sim.paramValues.slice();
  sim.params.pack(packed, 0, c);
  sim.writeParams(packed);
  const u = Array.from(act.indices, (i) => sim.params.values(0)[i]);
  const w = act.rowLength, rows = u.length / w;
  const effort = u.reduce((s, x) => s + x * x, 0) / u.length;
  let smooth = 0;
  for (let t = 0; t + 1 < rows; t++) for (let k = 0; k < w; k++) smooth += (u[(t + 1) * w + k] - u[t * w + k]) ** 2 / ((rows - 1) * w);
  const loss = await createLoss(sim, { kind: 'weighted-sum', terms: [
    { weight: 1, loss: { kind: 'com-target', target: [0.4, 0.4] } },
    { weight: 0.5, loss: { kind: 'effort' } },
    { weight: 2, loss: { kind: 'smoothness', block: 'actuation' } },
  ] });
  const r = new Rollout(sim, 5);
  await r.forward();
  const v = await loss.evaluate(r.final.buf);
  expect(v.terms![1].values[0]).toBeCloseTo(effort, 6);
  expect(v.terms![2].values[0]).toBeCloseTo(smooth, 6);
  expect(v.values[0]).toBeCloseTo(v.terms![0].values[0] + 0.5 * effort + 2 * smooth, 6);
  // the gradient against central differences of the closed forms, entry by entry
  const g = sim.params.unpack(loss.controlGradient()!, 0);
  const R = (x: number[]) => {
    let s = 0;
    for (let t = 0; t + 1 < rows; t++) for (let k = 0; k < w; k++) s += (x[(t + 1) * w + k] - x[t * w + k]) ** 2 / ((rows - 1) * w);
    return 0.5 * x.reduce((a, y) => a + y * y, 0) / x.length + 2 * s;
  };
  for (const k of [0, 1, w, Math.floor(u.length / 2), u.length - 1]) {
    const h = 1e-6, up = u.slice(), dn = u.slice();
    up[k] += h; dn[k] -= h;
    expect(g[act.indices[k]]).toBeCloseTo((R(up) - R(dn)) / (2 * h), 5);
  }
  // blocks that are not per-step open-loop controls are refused, naming what is allowed
  await expect(createLoss(sim, { kind: 'effort', block: 'groups[0].E' })).rejects.toThrow(/scene\.loss\.block = "groups\[0\]\.E" is not a per-step control block of this scene: allowed 'actuation'/);
  r.destroy();
  loss.destroy();
  sim.destroy();
  // a controller writes the actuation of the MLP walker: not open-loop
  const mlp = await createSimulator(gpu, buildScene('spring-walker-2d'));
  // a SceneError, which the command line shows without a stack (exit 2)
  await expect(createLoss(mlp, { kind: 'smoothness' })).rejects.toThrow(SceneError);
  await expect(createLoss(mlp, { kind: 'weighted-sum', terms: [{ weight: 1, loss: { kind: 'effort' } }] }))
    .rejects.toThrow(/scene\.loss\.terms\[0\]\.loss\.block = "actuation" is written by the scene's controller every step, not open-loop/);
  mlp.destroy();
});

test('the objective adds the regularizer to the actuation gradient', async () => {
  const scene = buildScene('robot-walk-2d');
  const base: LossDesc = { kind: 'com-travel', axis: 0, direction: 1 };
  const grads = [];
  const losses: LossDesc[] = [base, { kind: 'weighted-sum', terms: [{ weight: 1, loss: base }, { weight: 3, loss: { kind: 'effort' } }] }];
  for (const loss of losses) {
    const obj = await SceneObjective.create(gpu, { ...scene, loss }, { params: ['actuation'], steps: 8 });
    const theta = obj.initial().map((_, i) => 0.3 * Math.cos(i));
    grads.push({ g: (await obj.gradient(theta)).gradient, theta, n: obj.size });
    obj.destroy();
  }
  // effort over the whole block (its rows past the 8 steps too): 3 x 2 u / n more on every entry
  const [a, b] = grads;
  for (const k of [0, 5, a.n - 1]) expect(b.g[k] - a.g[k]).toBeCloseTo((3 * 2 * Math.fround(a.theta[k])) / a.n, 5);
});
