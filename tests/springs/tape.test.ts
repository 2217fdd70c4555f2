// The spring family through the shared tape: checkpointed == full tape bit for bit, identical runs
// give identical bytes, each batch copy equals its own single run, a wrong adjoint fails gradcheck,
// and the gradient through a ground impact is finite and has the reference's sign and value.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import { Rollout } from '../../src/core/rollout';
import { gradcheck } from '../../src/core/gradcheck';
import { SpringSim } from '../../src/springs/simulator';
import { springGradcheckSubject } from '../../src/springs/gradcheck-subject';
import { compileSpringScene } from '../../src/springs/model';
import { rolloutRef } from '../../src/springs/reference';
import { chain2d, clothPatch, turningCollider } from '../helpers/spring-scenes';
import type { SpringScene } from '../../src/springs/scene';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Forward and backward with fixed final-state weights; returns the final state, dL/dstate0, dL/dctrl. */
async function run(sim: SpringSim, steps: number, mode: 'full' | 'auto' | number, weights: Float32Array) {
  const r = new Rollout(sim, steps, mode);
  expect((await r.forward()).badStep).toBeNull();
  const gFinal = sim.createState('w', weights);
  const final = await readF32(gpu.device, r.final.buf);
  const g0 = await readF32(gpu.device, await r.backward(gFinal));
  const gc = await readF32(gpu.device, sim.paramGrad);
  gFinal.destroy();
  r.destroy();
  return { final, g0, gc };
}

function weightsFor(sim: SpringSim): Float32Array {
  const w = new Float32Array(sim.stateBytes / 4);
  for (let k = 0; k < w.length; k++) w[k] = Math.sin(0.37 * k + 1);
  return w;
}

const scenes: [string, () => SpringScene, number][] = [
  ['2D chain robot', () => chain2d(), 40],
  ['3D cloth with self-contact and plastic bending', () => ({ ...clothPatch({ selfContact: true, plastic: true }), name: 'cloth-all' }), 30],
];

for (const [name, make, T] of scenes) {
  test(`${name}: checkpointed gradients equal the full tape, and repeated runs give the same bytes`, async () => {
    const sim = await SpringSim.create(gpu, make());
    const w = weightsFor(sim);
    const full = await run(sim, T, 'full', w);
    for (const mode of ['auto', 4, 'full'] as const) {
      const o = await run(sim, T, mode, w);
      expect(bytes(o.final).equals(bytes(full.final))).toBe(true);
      expect(bytes(o.g0).equals(bytes(full.g0))).toBe(true);
      expect(bytes(o.gc).equals(bytes(full.gc))).toBe(true);
    }
    sim.destroy();
  });

  test(`${name}: each of 3 batch copies equals its own single run bit for bit`, async () => {
    const scene = make();
    const one = await SpringSim.create(gpu, scene);
    const B = 3;
    const many = await SpringSim.create(gpu, scene, { batch: B });
    // copies differ in their controls
    const P = one.params.size;
    const rec = many.paramValues.slice();
    for (let b = 0; b < B; b++) {
      const v = one.params.values(0);
      for (let k = 0; k < P; k++) v[k] *= 1 + 0.03 * b * Math.sin(k);
      many.params.pack(rec, b, v);
    }
    many.writeParams(rec);
    const wOne = weightsFor(one);
    const wMany = new Float32Array(many.stateBytes / 4);
    const items = one.state.items * one.state.stride, tail = one.stateBytes / 4 - items;
    for (let b = 0; b < B; b++) {
      wMany.set(wOne.subarray(0, items), b * items);
      wMany.set(wOne.subarray(items), B * items + b * tail);
    }
    const all = await run(many, T, 'auto', wMany);
    for (let b = 0; b < B; b++) {
      const rb = one.paramValues.slice();
      one.params.pack(rb, 0, many.params.values(b));
      one.writeParams(rb);
      const o = await run(one, T, 'auto', wOne);
      expect(bytes(all.final.subarray(b * items, (b + 1) * items)).equals(bytes(o.final.subarray(0, items)))).toBe(true);
      expect(bytes(all.final.subarray(B * items + b * tail, B * items + (b + 1) * tail)).equals(bytes(o.final.subarray(items)))).toBe(true);
      expect(bytes(all.g0.subarray(b * items, (b + 1) * items)).equals(bytes(o.g0.subarray(0, items)))).toBe(true);
      expect(bytes(all.gc.subarray(b * P, (b + 1) * P)).equals(bytes(o.gc))).toBe(true);
    }
    one.destroy();
    many.destroy();
  });
}

test('a wrong adjoint (spring elasticity, collider normal and bending terms scaled by 1.05) fails gradcheck; the honest one passes', async () => {
  // the split path in 2D and in 3D (its per-element adjoint passes, elements.adj.wgsl); the fused path runs the
  // same element functions and gives the split path's bytes in 3D, and fails when wrong in 2D (fused-adjoint.test.ts)
  for (const [make, steps, adjoint] of [[() => chain2d(), 30, 'split'], [() => clothPatch(), 20, 'split']] as const) {
    for (const wrong of [false, true]) {
      const subject = await springGradcheckSubject(gpu, make(), { wrongAdjoint: wrong, adjoint });
      const r = await gradcheck(subject, { steps, seed: 2 });
      subject.destroy?.();
      if (r.ok === wrong) console.log(make().name, wrong, r.checks.map((c) => `${c.param}:${c.verdict}:${c.relError?.toExponential(1)}`).join(" "));
      expect(r.ok).toBe(!wrong);
    }
  }
});

test('a wrong adjoint fails the turning collider orientation and angular velocity blocks; the honest one passes them', async () => {
  for (const wrong of [false, true]) {
    const subject = await springGradcheckSubject(gpu, turningCollider(clothPatch({})), { wrongAdjoint: wrong, adjoint: 'split' });
    const r = await gradcheck(subject, { steps: 3, seed: 1 });
    subject.destroy?.();
    for (const block of ['colliders[0].orientation', 'colliders[0].angularVelocity']) {
      // along the block's gradient the 5% scale shows in full (a random direction may nearly cancel)
      const c = r.checks.find((k) => k.param === `${block}@gradient`)!;
      expect(c.verdict, `${block} ${wrong ? 'wrong' : 'honest'}: ${c.relError}`).toBe(wrong ? 'FAIL' : 'ok');
      if (!wrong) expect(r.checks.find((k) => k.param === block)!.verdict).toMatch(/^ok/);
    }
  }
});

for (const softness of [0, 0.01]) {
  test(`through a ground impact (softness ${softness}) the gradient is finite and matches the reference's sign and value`, async () => {
    // one vertex thrown down and sideways onto a rough floor; L = final x; d L / d(initial height)
    const scene: SpringScene = {
      kind: 'springs', name: 'impact', dim: 2, dt: 0.002, steps: 150, gravity: [0, -9.8], extent: [1, 1],
      materials: [{ name: 'm', stiffness: 1, damping: 0 }],
      vertices: { x: [0.2, 0.15], v: [1.0, -1.0], mass: [1] },
      ground: { height: 0.05, friction: 0.5, softness },
    };
    const sim = await SpringSim.create(gpu, scene);
    const w = new Float32Array(4);
    w[0] = 1;
    const { g0 } = await run(sim, scene.steps, 'auto', w);
    sim.destroy();
    const m = compileSpringScene(scene);
    const h = 1e-5;
    const fx = (dy: number) => { const s = Float64Array.from(m.state0); s[1] += dy; return rolloutRef(m, s, m.ctrl0, scene.steps)[0]; };
    const fd = (fx(h) - fx(-h)) / (2 * h);
    expect(Number.isFinite(g0[1])).toBe(true);
    expect(fd).toBeGreaterThan(0); // higher start: longer in the air, less time under friction
    expect(Math.sign(g0[1])).toBe(Math.sign(fd));
    expect(Math.abs(g0[1] - fd)).toBeLessThan(0.02 * Math.abs(fd));
  });
}
