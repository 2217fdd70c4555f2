// The step adjoint skips the replay of a free vertex no contact acted on (adjoint.wgsl
// contacts_idle): its contacts' adjoints are then the identity, so its gradients must equal those of
// replaying every vertex, value for value (the skip may differ only in the sign of a zero), on
// rollouts where vertices land on, rest on and leave the ground and a collider. A looser judgement,
// which also skips contacts that acted lightly, must be caught.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import { Rollout } from '../../src/core/rollout';
import { SpringSim, type AdjointPath, type ReplaySkip } from '../../src/springs/simulator';
import { chain2d, clothPatch } from '../helpers/spring-scenes';
import { finalWeightGradients, firstDifference } from '../helpers/spring-gradients';
import type { SpringScene } from '../../src/springs/scene';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

interface Run { g0: Float32Array; gc: Float32Array; acted: number; idle: number }

/**
 * dL/dstate0 and dL/dctrl of a checkpointed rollout with fixed final-state weights, and how many
 * free vertex-steps the ground acted on and how many it clearly left alone (judged from the states).
 */
async function run(scene: SpringScene, path: AdjointPath, skip: ReplaySkip): Promise<Run> {
  const sim = await SpringSim.create(gpu, scene, { adjoint: path, replaySkip: skip });
  const T = scene.steps, d = scene.dim, S = 2 * d;
  const w = new Float32Array(sim.stateBytes / 4);
  for (let k = 0; k < w.length; k++) w[k] = Math.sin(0.37 * k + 1);
  const r = new Rollout(sim, T, 'auto');
  await r.forward(sim.state0, { keep: Array.from({ length: T + 1 }, (_, t) => t) });
  const states: Float32Array[] = [];
  for (let t = 0; t <= T; t++) states.push(await readF32(gpu.device, r.kept(t)));
  const fixed = new Set([...(scene.pinned ?? []), ...(scene.grippers ?? []).flatMap((g) => g.vertices)]);
  const h = scene.ground!.height, kappa = scene.ground!.softness ?? 0;
  const balls = (scene.colliders ?? []).filter((c) => c.shape === 'sphere');
  const row = (track: number[][], t: number) => track[Math.min(t, track.length - 1)];
  let acted = 0, idle = 0;
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < sim.model.n; i++) {
      if (fixed.has(i)) continue;
      const x = states[t].subarray(i * S, i * S + d), vn = states[t + 1].subarray(i * S + d, i * S + 2 * d);
      // the gaps after the step at the ground and at each ball: phi + dt (vn - V).n
      const gaps = [x[1] - h + scene.dt * vn[1], ...balls.map((c) => {
        const p = row(c.position, t), V = row(c.velocity, t), r = x.map((xa, a) => xa - p[a]), l = Math.hypot(...r);
        return l - c.radius! + scene.dt * r.reduce((sum, ra, a) => sum + (ra / l) * (vn[a] - V[a]), 0);
      })];
      const soft = [kappa, ...balls.map(() => scene.colliderSoftness ?? 0)];
      // a crisp contact (softness 0) leaves the gap at zero, to the rounding of the tracks here (float64, not float32)
      if (gaps.some((g) => g < 1e-7)) acted++;
      else if (gaps.every((g, k) => g > 2 * soft[k] + 1e-7)) idle++;
    }
  }
  const { g0, gc } = await finalWeightGradients(gpu, sim, r, w);
  return { g0, gc, acted, idle };
}

/** The scene with crisp contacts: softness 0 on the ground and the colliders. */
function crisp(s: SpringScene): SpringScene {
  return { ...s, name: `${s.name}-crisp`, ground: { ...s.ground!, softness: 0 }, colliderSoftness: 0 };
}

/** The scene's ball rising from under the chain at 0.3 m/s (its position track follows), friction 1: vertices stick to a moving surface. */
function risingBall(s: SpringScene): SpringScene {
  const V = 0.3;
  return { ...s, name: `${s.name}-lifted`, colliders: [{ name: 'ball', shape: 'sphere', radius: 0.1, friction: 1,
    position: Array.from({ length: s.steps }, (_, t) => [0.27, V * s.dt * (t + 1) - 0.05]), velocity: [[0, V]] }] };
}

const cases: [string, () => SpringScene, AdjointPath][] = [
  ['2D chain on the ground past a ball, fused path', () => chain2d({ steps: 80 }), 'fused'],
  ['2D chain on the ground past a ball, split path', () => chain2d({ steps: 80 }), 'split'],
  ['3D cloth with self-contact landing on the ground and a block (element passes only for replayed corners)',
    () => ({ ...clothPatch({ nx: 8, ny: 8, steps: 40, selfContact: true }), name: 'cloth-idle' }), 'split'],
  ['2D chain on crisp ground (softness 0) past a crisp ball, fused path', () => crisp(chain2d({ steps: 80 })), 'fused'],
  ['2D chain lifted off crisp ground by a crisp ball with friction, fused path', () => risingBall(crisp(chain2d({ steps: 80 }))), 'fused'],
  ['2D chain lifted off crisp ground by a crisp ball with friction, split path', () => risingBall(crisp(chain2d({ steps: 80 }))), 'split'],
];

for (const [name, make, path] of cases) {
  test(`${name}: skipping idle vertices' replays gives the gradients of replaying them all`, async () => {
    const all = await run(make(), path, 'never');
    const skip = await run(make(), path, 'idle');
    console.log(`${name}: the ground or a ball acted on ${all.acted} free vertex-steps, clearly idle at ${all.idle}`);
    // the rollout must exercise both sides of the judgement
    expect(all.acted).toBeGreaterThan(20);
    expect(all.idle).toBeGreaterThan(20);
    expect(all.gc.some((x) => x !== 0)).toBe(true);
    expect(firstDifference(skip.g0, all.g0)).toBe(-1);
    expect(firstDifference(skip.gc, all.gc)).toBe(-1);
  });
}

test('the check can fail: skipping contacts that acted lightly changes the gradients', async () => {
  const scene = chain2d({ steps: 80 });
  const all = await run(scene, 'split', 'never');
  const loose = await run(scene, 'split', 'loose');
  expect(firstDifference(loose.g0, all.g0)).toBeGreaterThanOrEqual(0);
});

test('replaySkip is checked by name', async () => {
  await expect(SpringSim.create(gpu, chain2d(), { replaySkip: 'sometimes' as ReplaySkip })).rejects.toThrow("replaySkip = sometimes: allowed 'idle', 'never' or 'loose'");
});
