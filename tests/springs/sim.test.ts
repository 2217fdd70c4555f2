// SpringSim's forward against the float64 reference, and the bits: identical runs, batch copies.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import { Rollout, RolloutError } from '../../src/core/rollout';
import { SpringSim } from '../../src/springs/simulator';
import { compileSpringScene } from '../../src/springs/model';
import { hingeBend, hingeRef, rolloutRef, stepRef } from '../../src/springs/reference';
import { chain2d, clothPatch, turningCollider } from '../helpers/spring-scenes';
import type { SpringScene } from '../../src/springs/scene';
import { build as buildDrape } from '../../scenes/cloth-drape-3d';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

async function finalState(scene: SpringScene, steps: number, batch = 1): Promise<Float32Array> {
  const sim = await SpringSim.create(gpu, scene, { batch });
  const r = new Rollout(sim, steps, 'full');
  const st = await r.forward();
  expect(st.badStep).toBeNull();
  const out = await readF32(gpu.device, r.final.buf);
  r.destroy();
  sim.destroy();
  return out;
}

const cases: [string, () => SpringScene, number][] = [
  ['2D chain robot (springs, actuation, soft ground, sphere)', () => chain2d({ steps: 120 }), 120],
  ['3D cloth (membrane, bending, pin, gripper, box, ground, self-contact)', () => clothPatch({ steps: 100, selfContact: true }), 100],
  ['3D plastic strip', () => clothPatch({ steps: 100, plastic: true }), 100],
  ['2D chain robot against a turning, spinning box', () => turningCollider(chain2d({ steps: 120 })), 120],
  ['3D cloth against a turning, spinning box', () => turningCollider(clothPatch({ steps: 100 })), 100],
];

for (const [name, make, steps] of cases) {
  test(`${name}: the WGSL forward matches the float64 reference over ${steps} steps`, async () => {
    const scene = make();
    const gpuState = await finalState(scene, steps);
    const m = compileSpringScene(scene);
    const ref = rolloutRef(m, m.state0, m.ctrl0, steps);
    let maxErr = 0, scale = 0;
    for (let k = 0; k < ref.length; k++) { maxErr = Math.max(maxErr, Math.abs(ref[k] - gpuState[k])); scale = Math.max(scale, Math.abs(ref[k])); }
    console.log(name, 'max abs error', maxErr, 'scale', scale);
    expect(maxErr).toBeLessThan(1e-4 * Math.max(1, scale));
  });
}

test("a blow-up under the certain limit names the step and, where the springs' dashpots lower the limit, their damping", async () => {
  // a 2 x 6 truss whose dashpots, explicit like the springs, make dt = 2 ms unstable though the stiffnesses alone allow 2.2 ms
  const x: number[] = [], pairs: number[] = [];
  for (let j = 0; j < 2; j++) for (let i = 0; i < 6; i++) x.push(0.2 + 0.05 * i, 0.1 + 0.05 * j);
  for (let i = 0; i < 6; i++) {
    if (i < 5) pairs.push(i, i + 1, i + 6, i + 7, i, i + 7, i + 1, i + 6);
    pairs.push(i, i + 6);
  }
  const S = pairs.length / 2;
  const scene: SpringScene = {
    kind: 'springs', name: 'damped-truss', dim: 2, dt: 0.002, steps: 100, gravity: [0, -9.8], damping: 2, extent: [1, 0.5],
    materials: [{ name: 'm', stiffness: 400, damping: 5 }],
    vertices: { x, v: new Array(x.length).fill(0), mass: new Array(12).fill(0.05) },
    springs: { pairs, material: new Array(S).fill(0) },
    ground: { height: 0.1, friction: 1, softness: 0.002 },
  };
  const sim = await SpringSim.create(gpu, scene);
  const r = new Rollout(sim, 100, 'full');
  const err = await r.forward().then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(RolloutError);
  const step = (err as RolloutError).step;
  expect((err as Error).message).toMatch(new RegExp(`at step ${step} \\(is the stiffness or spring damping too high for dt 0.002\\? dt is 0.9\\d+ of the .* for certain and 1.\\d+ of about [0-9.]+ s with the springs' damping; reduce dt`));
  r.destroy();
  sim.destroy();
});

/** A strip of 4 quads (edges 0.05) whose first vertex a gripper named 'hand' carries along `track`; the rollout's error. */
async function stripBlowUp(o: { name: string; dt: number; mu: number; lambda: number; track: number[][] }): Promise<unknown> {
  const x: number[] = [], indices: number[] = [];
  for (let i = 0; i <= 4; i++) x.push(0.3 + 0.05 * i, 0.5, 0.4, 0.3 + 0.05 * i, 0.5, 0.45);
  for (let i = 0; i < 4; i++) indices.push(2 * i, 2 * i + 2, 2 * i + 1, 2 * i + 1, 2 * i + 2, 2 * i + 3);
  const steps = Math.max(10, o.track.length);
  const scene: SpringScene = {
    kind: 'shell', name: o.name, dim: 3, dt: o.dt, steps, gravity: [0, -9.8, 0], extent: [1, 1, 1],
    materials: [{ name: 'm', stiffness: 1, damping: 0, mu: o.mu, lambda: o.lambda, bending: 1e-3 }],
    vertices: { x, v: new Array(x.length).fill(0), mass: new Array(10).fill(0.01) },
    triangles: { indices, material: new Array(8).fill(0) },
    grippers: [{ name: 'hand', vertices: [0], position: o.track }],
  };
  const sim = await SpringSim.create(gpu, scene);
  const r = new Rollout(sim, steps, 'full');
  try {
    return await r.forward().then(() => null, (e: unknown) => e);
  } finally {
    r.destroy();
    sim.destroy();
  }
}

test('a blow-up after a gripper jumps further than an edge in a step names the gripper and the step, not the stiffness', async () => {
  // the gripper leaps across the domain in step 2
  const err = await stripBlowUp({ name: 'leap', dt: 1e-4, mu: 10, lambda: 5, track: [[0.3, 0.5, 0.4], [0.3, 0.5, 0.4], [9e5, 0.5, 0.4]] });
  expect(err).toBeInstanceOf(RolloutError);
  expect((err as Error).message).toContain('at step 3 (grippers[0] "hand" moves 900000 in step 2, more than half the 0.05 rest length of the shortest edge at a vertex it holds: a slower track)');
});

test('a blow-up past the materials\' limit with a gripper moving a good part of an edge a step asks about the stiffness and names the gripper too', async () => {
  // stiff enough that dt = 1e-3 is past its certain limit, the gripper moving 0.02 (0.4 of the 0.05
  // edge) a step: both may be to blame
  const track = Array.from({ length: 30 }, (_, t) => [0.3, 0.5 + 0.02 * t, 0.4]);
  const err = await stripBlowUp({ name: 'stiff-strip', dt: 1e-3, mu: 1e4, lambda: 5e3, track });
  expect(err).toBeInstanceOf(RolloutError);
  expect((err as Error).message).toMatch(/\(is the stiffness too high for dt 0.001\? dt is [0-9.]+ of the .* for certain; reduce dt or the stiffnesses; or: grippers\[0\] "hand" moves 0.02 in step 1, more than 0.25 of the 0.05 rest length of the shortest edge at a vertex it holds: a slower track\)$/);
});

test('a blow-up from a gravity given in the wrong units names gravity, not the stiffness', async () => {
  // the drape's cloth (edges 1/32) under 9800 (mm/s^2 read as m/s^2) hits the ball at 150 m/s
  const scene = buildDrape({ resolution: 32 });
  scene.gravity = [0, -9800, 0];
  scene.steps = 40;
  const sim = await SpringSim.create(gpu, scene);
  const r = new Rollout(sim, 40, 'full');
  const err = await r.forward().then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(RolloutError);
  expect((err as Error).message).toMatch(/at step (\d+) \(gravity \|g\| = 9800 brings a falling vertex to [0-9.]+ m\/s by step \1, [0-9.]+ a step, more than the 0.03125 rest length of the shortest edge: a smaller gravity \(in m\/s\^2\) or dt\)/);
  r.destroy();
  sim.destroy();
});

test('a blow-up at a dt far inside the materials\' limit does not blame the stiffness: an initial state of coincident vertices', async () => {
  const scene = chain2d({ steps: 10 });
  scene.dt /= 10; // about 0.05 of its stability limit
  const sim = await SpringSim.create(gpu, scene);
  const r = new Rollout(sim, 10, 'full');
  const zeros = sim.createState('zeros'); // every vertex at the origin: springs of length 0
  const err = await r.forward(zeros).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(RolloutError);
  expect((err as Error).message).toMatch(/at step 0 \(dt [0-9.e-]+ is [0-9.e-]+ of the [0-9.e-]+ s past which the scene's materials are unstable at rest, so they are an unlikely cause: look for vertices that coincide or cross in the initial state/);
  expect((err as Error).message).not.toContain('too high');
  zeros.destroy();
  r.destroy();
  sim.destroy();
});

test('controls written later: out-of-range and non-finite values refused by name; a blow-up gives the limit at the materials written; a destroyed simulator says so', async () => {
  const scene = chain2d({ steps: 60 });
  const sim = await SpringSim.create(gpu, scene);
  const stiff = sim.params.blocks.find((b) => b.name === 'materials[0].stiffness')!;
  const write = (x: number) => {
    const v = sim.params.values(0);
    v[stiff.indices[0]] = x;
    const packed = sim.paramValues.slice();
    sim.params.pack(packed, 0, v);
    sim.writeParams(packed);
  };
  expect(() => write(-1)).toThrow('writeParams: materials[0].stiffness = -1: allowed > 0');
  expect(() => write(NaN)).toThrow('writeParams: materials[0].stiffness = NaN: allowed > 0');
  const k0 = scene.materials[0].stiffness;
  write(k0 * 400); // 20x the stiffness's stable dt ratio: certainly unstable
  const r = new Rollout(sim, 60, 'full');
  const err = await r.forward().then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(RolloutError);
  const m = / dt is ([0-9.]+) of the [0-9.e-]+ s past which the materials last written \(writeParams\) are unstable/.exec((err as Error).message);
  expect(m, (err as Error).message).not.toBeNull();
  expect(Number(m![1])).toBeGreaterThan(1);
  r.destroy();
  sim.destroy();
  await expect(new Rollout(sim, 5, 'full').forward()).rejects.toThrow(/its simulator was destroyed/);
});

test('a blow-up where self-contact\'s penalty is past its own limit names selfContact.stiffness, not the materials', async () => {
  // a free vertex between two pinned ones, inside the thickness of both: each penalty holds it as a
  // spring of stiffness kc, which the materials' limit (no elements at all) leaves out
  const scene = (kc: number): SpringScene => ({
    kind: 'springs', name: 'pressed', dim: 2, dt: 1e-3, steps: 20, gravity: [0, -9.8], extent: [1, 1],
    materials: [{ name: 'm', stiffness: 100, damping: 0 }],
    vertices: { x: [0.5, 0.5, 0.5, 0.525, 0.5, 0.55], v: [0, 0, 0, 0, 0, 0], mass: [0.01, 0.01, 0.01] },
    pinned: [0, 2], selfContact: { thickness: 0.03, stiffness: kc },
  });
  const message = async (kc: number) => {
    const sim = await SpringSim.create(gpu, scene(kc));
    try { return sim.blowUpMessage({ badStep: 3, contactSkipped: 0, contactSkippedStep: null }); } finally { sim.destroy(); }
  };
  // w^2 = kc / 0.01 (the other vertex of the pair is pinned): dt^2 w^2 > 4 past kc = 4e4
  expect(await message(1e5)).toContain('at step 3 (selfContact.stiffness = 100000 is too high for dt 0.001: the lightest free vertex (mass 0.01) pressed against another grows past dt 0.0006325 s, and dt is 1.581 of it; a smaller selfContact.stiffness or dt)');
  expect(await message(1e4)).not.toContain('selfContact');
});

test('a hinge folded near 180 degrees that closes past it bends back the short way, as the reference does', async () => {
  // two triangles folded about the edge a-b until the wing d lies 4 degrees above c (a dihedral
  // angle of 176 degrees, its rest angle), d closing the fold at 2 m/s: theta passes 180 degrees and
  // reads -180 + e; bent the long way (theta - rest near -2 pi), the hinge pushed the wing on through
  const fold = (4 * Math.PI) / 180;
  const scene: SpringScene = {
    kind: 'shell', name: 'closing-fold', dim: 3, dt: 1e-4, steps: 200, gravity: [0, 0, 0], extent: [1, 1, 1],
    materials: [{ name: 'paper', stiffness: 1, damping: 0, mu: 50, lambda: 20, bending: 0.05 }],
    vertices: {
      x: [0.5, 0.5, 0.4, 0.5, 0.5, 0.6, 0.6, 0.5, 0.5, 0.5 + 0.1 * Math.cos(fold), 0.5 + 0.1 * Math.sin(fold), 0.5],
      v: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -2, 0],
      mass: [0.01, 0.01, 0.01, 0.01],
    },
    triangles: { indices: [0, 1, 2, 1, 0, 3], material: [0, 0] },
    pinned: [0, 1, 2],
  };
  const m = compileSpringScene(scene);
  expect(Math.abs(m.hingeRest0[0])).toBeGreaterThan(3.05); // the fold is the hinge's rest, near +-pi
  const steps = 200, keep = Array.from({ length: steps }, (_, t) => t + 1);
  const sim = await SpringSim.create(gpu, scene);
  const r = new Rollout(sim, steps, 'full');
  const st = await r.forward(undefined, { keep });
  expect(st.badStep).toBeNull();
  // the angle from the rest, the short way round, over the rollout: the wing overshoots by a few
  // degrees and comes back (the long way it ran off past 180)
  let worst = 0, ref: Float64Array = Float64Array.from(m.state0), err = 0;
  for (let t = 1; t <= steps; t++) {
    const g = await readF32(gpu.device, r.kept(t));
    ref = stepRef(m, ref, m.ctrl0, t - 1);
    const at = (s: ArrayLike<number>, i: number) => [s[6 * i], s[6 * i + 1], s[6 * i + 2]];
    const theta = hingeRef(at(g, 0), at(g, 1), at(g, 2), at(g, 3)).theta;
    worst = Math.max(worst, Math.abs(hingeBend(theta, m.hingeRest0[0])));
    for (let k = 0; k < 24; k++) err = Math.max(err, Math.abs(g[k] - ref[k]));
  }
  console.log('closing fold: largest bend from rest', worst, 'GPU - reference', err);
  expect(worst).toBeGreaterThan((4 * Math.PI) / 180); // it did pass 180 degrees
  expect(worst).toBeLessThan((20 * Math.PI) / 180);
  expect(err).toBeLessThan(1e-4);
  r.destroy();
  sim.destroy();
});
