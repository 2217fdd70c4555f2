// Quiet steps (hash.wgsl contact records): where the forward of a step found no self-contact pair
// in a copy, the split step adjoint builds no grid and searches nothing for it. Its gradients, over
// checkpointed rollouts (a segment's last step is not recomputed, and keeps its forward's record), must
// equal those of searching every step (the records zeroed before the backward: "search") value for
// value, on rollouts that have both quiet steps and steps with pairs, vertex-vertex and
// vertex-triangle, batched and not; and records that call every step quiet must change them, or
// the comparison proves nothing. (Zeroing the records instead of replaySkip 'never' keeps to one
// set of compiled kernels: 'never' compiles every module again, a minute and more cold.)
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readU32, writeBuffer } from '../../src/gpu/buffers';
import { Rollout } from '../../src/core/rollout';
import { CONTACT_RECORDS, QUIET, SpringSim } from '../../src/springs/simulator';
import { finalWeightGradients, firstDifference } from '../helpers/spring-gradients';
import { clothPatch } from '../helpers/spring-scenes';
import { compileSpringScene } from '../../src/springs/model';
import type { SpringScene } from '../../src/springs/scene';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

/**
 * A patch whose columns move towards its middle, so that its vertices come within the thickness
 * of each other part-way through the rollout; `triangles` adds vertex-triangle contact.
 */
function squeezed(triangles: boolean, squeeze = 4): SpringScene {
  const s = clothPatch({ nx: 8, ny: 8, steps: 40, selfContact: true });
  const x = s.vertices.x as number[], v = (s.vertices.v as number[]).slice();
  for (let i = 0; i < v.length; i += 3) v[i] -= squeeze * (x[i] - 0.5);
  return { ...s, name: `squeezed${triangles ? '-vt' : ''}`, vertices: { ...s.vertices, v }, selfContact: { ...s.selfContact!, triangles } };
}

interface Run { g0: Float32Array; gc: Float32Array; quiet: number[]; loud: number[] }

/**
 * dL/dstate0 and dL/dctrl of a checkpointed rollout with fixed final-state weights, and the steps
 * whose records read quiet and not (copy 0). `records`: 'kept' as the forward wrote them, or every
 * one rewritten before the backward to 'search' (zero) or 'quiet'.
 */
async function run(scene: SpringScene, records: 'kept' | 'search' | 'quiet', o: { batch?: number; state0?: (sim: SpringSim) => Float32Array } = {}): Promise<Run> {
  const B = o.batch ?? 1;
  const sim = await SpringSim.create(gpu, scene, { adjoint: 'split', batch: B });
  const T = scene.steps;
  // the same weights for every copy
  const w = new Float32Array(sim.stateBytes / 4), per = w.length / B;
  for (let k = 0; k < w.length; k++) w[k] = Math.sin(0.37 * (k % per) + 1);
  const r = new Rollout(sim, T, 'auto');
  await r.forward(o.state0 ? o.state0(sim) : sim.state0);
  const status = (sim as unknown as { status: GPUBuffer }).status;
  const rec = await readU32(gpu.device, status, CONTACT_RECORDS, T * B);
  const quiet: number[] = [], loud: number[] = [];
  for (let t = 0; t < T; t++) (rec[t * B] === QUIET ? quiet : loud).push(t);
  expect(await sim.contactPairSteps(T)).toBe(loud.length);
  if (records !== 'kept') writeBuffer(gpu.device, status, new Uint32Array(T * B).fill(records === 'quiet' ? QUIET : 0), CONTACT_RECORDS * 4);
  const { g0, gc } = await finalWeightGradients(gpu, sim, r, w);
  return { g0, gc, quiet, loud };
}

for (const triangles of [false, true]) {
  const kind = triangles ? 'vertex-vertex and vertex-triangle' : 'vertex-vertex';
  test(`${kind}: quiet steps skip the search and give the gradients of searching every step`, async () => {
    const kept = await run(squeezed(triangles), 'kept');
    const search = await run(squeezed(triangles), 'search');
    console.log(`${kind}: quiet steps ${kept.quiet.length}, steps with pairs ${kept.loud.length} (from step ${kept.loud[0]})`);
    // both kinds of step
    expect(kept.quiet.length).toBeGreaterThan(5);
    expect(kept.loud.length).toBeGreaterThan(5);
    expect(kept.gc.some((x) => x !== 0)).toBe(true);
    expect(firstDifference(kept.g0, search.g0)).toBe(-1);
    expect(firstDifference(kept.gc, search.gc)).toBe(-1);
    // the check can fail: every step called quiet loses the pairs' terms
    const wrong = await run(squeezed(triangles), 'quiet');
    expect(firstDifference(wrong.g0, search.g0)).toBeGreaterThanOrEqual(0);
  });
}

test('records are per copy: a batch of a squeezed and a stretched patch equals each run alone', async () => {
  const squeezedScene = squeezed(false), stretched = squeezed(false, -3);
  const a = await run(squeezedScene, 'kept'), b = await run(stretched, 'kept');
  console.log(`steps with pairs: squeezed ${a.loud.join(' ')}; stretched ${b.loud.join(' ')}`);
  // steps where one copy is quiet and the other is not
  expect(b.loud.filter((t) => !a.loud.includes(t)).length).toBeGreaterThan(5);
  // copy 0 squeezed, copy 1 stretched (the scenes differ in their initial velocities only)
  const stretchedState0 = compileSpringScene(stretched).state0;
  const both = await run(squeezedScene, 'kept', {
    batch: 2,
    state0: (sim) => {
      const s = sim.state0.slice();
      s.set(stretchedState0, s.length / 2);
      return s;
    },
  });
  expect(both.loud).toEqual(a.loud);
  const n = a.g0.length, P = a.gc.length;
  expect(firstDifference(both.g0.subarray(0, n), a.g0)).toBe(-1);
  expect(firstDifference(both.g0.subarray(n), b.g0)).toBe(-1);
  expect(firstDifference(both.gc.subarray(0, P), a.gc)).toBe(-1);
  expect(firstDifference(both.gc.subarray(P), b.gc)).toBe(-1);
});
