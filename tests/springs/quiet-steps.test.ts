// Quiet steps (hash.wgsl contact records): where the forward of a step found no self-contact pair
// in a copy, the split step adjoint builds no grid and searches nothing for it. Its gradients must
// equal those of searching every step (replaySkip 'never') value for value, on rollouts that have
// both quiet steps and steps with pairs, vertex-vertex and vertex-triangle, batched and not; and a
// record that calls a step with pairs quiet must change them, or the comparison proves nothing.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32, readU32, writeBuffer } from '../../src/gpu/buffers';
import { Rollout } from '../../src/core/rollout';
import { SpringSim, type ReplaySkip } from '../../src/springs/simulator';
import { clothPatch } from '../helpers/spring-scenes';
import { compileSpringScene } from '../../src/springs/model';
import type { SpringScene } from '../../src/springs/scene';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

const CONTACT_RECORDS = 4, QUIET = 1;

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
 * whose records read quiet and not (copy 0); `corrupt` rewrites every record quiet before the backward.
 */
async function run(scene: SpringScene, skip: ReplaySkip, o: { batch?: number; state0?: (sim: SpringSim) => Float32Array; corrupt?: boolean } = {}): Promise<Run> {
  const B = o.batch ?? 1;
  const sim = await SpringSim.create(gpu, scene, { adjoint: 'split', replaySkip: skip, batch: B });
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
  if (o.corrupt) writeBuffer(gpu.device, status, new Uint32Array(T * B).fill(QUIET), CONTACT_RECORDS * 4);
  const gFinal = sim.createState('w', w);
  const g0 = await readF32(gpu.device, await r.backward(gFinal));
  const gc = await readF32(gpu.device, sim.paramGrad);
  gFinal.destroy();
  r.destroy();
  sim.destroy();
  return { g0, gc, quiet, loud };
}

/** Index of the first entry where a and b differ as numbers (+0 equals -0), or -1. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return k;
  return -1;
}

for (const triangles of [false, true]) {
  const kind = triangles ? 'vertex-vertex and vertex-triangle' : 'vertex-vertex';
  test(`${kind}: quiet steps skip the search and give the gradients of searching every step`, async () => {
    const all = await run(squeezed(triangles), 'never');
    const skip = await run(squeezed(triangles), 'idle');
    console.log(`${kind}: quiet steps ${skip.quiet.length}, steps with pairs ${skip.loud.length} (from step ${skip.loud[0]})`);
    // both kinds of step, and step 0 (no earlier step) among the quiet ones as a forward leaves it
    expect(skip.quiet.length).toBeGreaterThan(5);
    expect(skip.loud.length).toBeGreaterThan(5);
    expect(skip.quiet).toContain(0);
    expect(firstDifference(skip.g0, all.g0)).toBe(-1);
    expect(firstDifference(skip.gc, all.gc)).toBe(-1);
    // the check can fail: every step called quiet loses the pairs' terms
    const wrong = await run(squeezed(triangles), 'idle', { corrupt: true });
    expect(firstDifference(wrong.g0, all.g0)).toBeGreaterThanOrEqual(0);
  });
}

test('records are per copy: a batch of a squeezed and a stretched patch equals each run alone', async () => {
  const squeezedScene = squeezed(false), stretched = squeezed(false, -3);
  const a = await run(squeezedScene, 'idle'), b = await run(stretched, 'idle');
  console.log(`steps with pairs: squeezed ${a.loud.join(' ')}; stretched ${b.loud.join(' ')}`);
  // steps where one copy is quiet and the other is not
  expect(b.loud.filter((t) => !a.loud.includes(t)).length).toBeGreaterThan(5);
  // copy 0 squeezed, copy 1 stretched (the scenes differ in their initial velocities only)
  const stretchedState0 = compileSpringScene(stretched).state0;
  const both = await run(squeezedScene, 'idle', {
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
