// A triangle collapsed by its corners meeting (two grippers carrying neighbouring vertices onto one
// point, a pinch): its hinges have no angle and the closest point on it has zero-length edges. The
// step must stay finite and equal the float64 reference, and its adjoint must match central
// differences: a collapsed hinge bends nothing, a collapsed triangle's closest point takes the
// regions whose divisors are not zero (shell.wgsl hinge_collapsed, contact.tri.wgsl pt_tri).
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import { Rollout } from '../../src/core/rollout';
import { gradcheck } from '../../src/core/gradcheck';
import { SpringSim } from '../../src/springs/simulator';
import { compileSpringScene } from '../../src/springs/model';
import { hingeRef, ptTriRef, rolloutRef } from '../../src/springs/reference';
import { springGradcheckSubject } from '../../src/springs/gradcheck-subject';
import type { SpringScene } from '../../src/springs/scene';
import { PipelineCache } from '../../src/gpu/pipeline-cache';

let gpu: GpuContext;
let cache: PipelineCache;
beforeAll(async () => { gpu = await requestGpu(); cache = new PipelineCache(gpu.device); });
afterAll(() => gpu?.destroy());

const H = 0.03;

/**
 * A bent 2 x 2 patch (spacing 0.1) whose vertex 3 a gripper carries onto vertex 0 (pinned) in 4
 * steps and holds there, so triangle (0, 3, 1) (its first two corners on one point) and the hinge on
 * edge (1, 3) collapse, with free vertices near that triangle, beside the segment 0-1 it becomes.
 */
function pinched(steps: number, o: { bending?: number; plastic?: boolean } = {}): SpringScene {
  const x: number[] = [], v: number[] = [], mass: number[] = [];
  for (let j = 0; j <= 2; j++) for (let i = 0; i <= 2; i++) {
    x.push(0.3 + 0.1 * i, 0.3 + 0.02 * i * j, 0.3 + 0.1 * j);
    v.push(0, 0, 0);
    mass.push(0.01);
  }
  for (const [t, off] of [[0.3, 0.01], [0.6, -0.012], [0.5, 0.02]]) {
    x.push(0.3 + 0.1 * t, 0.3 + 0.005, 0.3 + off);
    v.push(0, 0, 0);
    mass.push(0.005);
  }
  const x0 = x.slice(0, 3), x3 = x.slice(9, 12);
  const track = Array.from({ length: steps }, (_, k) => x3.map((y, a) => (k >= 4 ? x0[a] : y + ((x0[a] - y) * k) / 4)));
  const id = (i: number, j: number) => j * 3 + i;
  const tris: number[] = [];
  for (let j = 0; j < 2; j++) for (let i = 0; i < 2; i++) tris.push(id(i, j), id(i, j + 1), id(i + 1, j), id(i + 1, j), id(i, j + 1), id(i + 1, j + 1));
  return {
    kind: 'shell', name: 'test-collapsed', dim: 3, dt: 1e-3, steps, gravity: [0, -9.8, 0], extent: [1, 1, 1],
    materials: [{ name: 'paper', stiffness: 1, damping: 0, mu: 20, lambda: 10, bending: o.bending ?? 2e-3, ...(o.plastic ? { plastic: { yieldAngle: 0.05 } } : {}) }],
    vertices: { x, v, mass },
    triangles: { indices: tris, material: tris.filter((_, k) => k % 3 === 0).map(() => 0) },
    pinned: [0],
    grippers: [{ name: 'pinch', vertices: [3], position: track }],
    selfContact: { thickness: H, stiffness: 200, triangles: true },
  };
}

test('the reference\'s hinge and closest point are finite on collapsed corners', () => {
  const a = [0.3, 0.3, 0.3], c = [0.3, 0.3, 0.4], d = [0.4, 0.31, 0.35];
  expect(hingeRef(a, c, a, d)).toEqual({ theta: 0, u: [[0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]] });
  expect(hingeRef(a, a, c, d).theta).toBe(0);
  // corners a and b on one point; x beside the segment a-c: its closest point lies on that edge
  const { q, w } = ptTriRef([0.31, 0.3, 0.33], a, a, c);
  expect(q.every(Number.isFinite) && w.every(Number.isFinite)).toBe(true);
  expect(q[2]).toBeCloseTo(0.33, 12);
  // all three on one point
  expect(ptTriRef([0.31, 0.3, 0.33], a, a, a).q).toEqual(a);
});

const STEPS = 7;

for (const plastic of [false, true]) {
  test(`a rollout${plastic ? ' with plastic bending' : ''} through a collapsed triangle stays finite, as the float64 reference, and so does its adjoint`, async () => {
    const scene = pinched(STEPS, { plastic });
    const m = compileSpringScene(scene);
    const sim = await SpringSim.create(gpu, scene, { cache });
    const r = new Rollout(sim, STEPS, 'full');
    try {
      expect((await r.forward()).badStep).toBeNull();
      const out = await readF32(gpu.device, r.final.buf);
      const ref = rolloutRef(m, m.state0, m.ctrl0, STEPS);
      let maxErr = 0, scale = 0;
      for (let k = 0; k < ref.length; k++) {
        expect(Number.isFinite(out[k]), `word ${k}`).toBe(true);
        maxErr = Math.max(maxErr, Math.abs(ref[k] - out[k]));
        scale = Math.max(scale, Math.abs(ref[k] - m.state0[k]));
      }
      // vertex 3 on vertex 0, to the bit
      expect(Array.from(out.subarray(18, 21))).toEqual(Array.from(out.subarray(0, 3)));
      expect(maxErr).toBeLessThan(1e-4 * scale);
      const w = sim.createState('test.weights', Float32Array.from(out, (_, k) => ((k * 7919) % 13) / 13 - 0.5));
      const g = await readF32(gpu.device, await r.backward(w));
      w.destroy();
      expect(g.every(Number.isFinite)).toBe(true);
    } finally {
      r.destroy();
      sim.destroy();
    }
  });
}

test('the adjoint through a collapsed triangle (vertex-triangle contact) matches float64 central differences', async () => {
  // without bending: near a collapsed hinge its angle has no limit, so differences across one are noise
  const subject = await springGradcheckSubject(gpu, pinched(STEPS, { bending: 0 }), { cache });
  try {
    const r = await gradcheck(subject, { steps: STEPS, seed: 5 });
    console.log(`collapsed: max rel ${r.maxRelError.toExponential(2)}`, r.checks.map((c) => `${c.param}:${c.verdict}`).join(' '));
    expect(r.ok).toBe(true);
  } finally {
    subject.destroy?.();
  }
}, 600_000);
