// Named parameters (src/opt/parameters.ts) map theta onto a simulator's initial state and control
// vector and the rollout's gradients back onto theta, for any simulator (MPM here).
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { ParameterVector, type Parameter } from '../../src/opt/parameters';
import { createSimulator } from '../../src/simulators';
import { tinyScene } from '../helpers/tiny-scenes';
import { chain2d } from '../helpers/spring-scenes';
import { SceneError } from '../../src/core/scene-error';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

test('theta -> inputs and gradients -> theta, for initialVelocity, a material block and a track', async () => {
  const scene = tinyScene({ dim: 2, material: 'elastic', actuated: true, collider: true });
  const sim = await createSimulator(gpu, scene);
  const p = new ParameterVector(sim, ['initialVelocity', 'groups[1].E', 'colliders[0].velocity']);
  const E = sim.params.blocks.find((b) => b.name === 'groups[1].E')!;
  const vel = sim.params.blocks.find((b) => b.name === 'colliders[0].velocity')!;
  expect(p.size).toBe(2 + 1 + vel.indices.length);
  const theta = p.initial();
  expect(theta[2]).toBe(1); // a material value is tuned relative to where it starts
  theta.set([0.5, -0.25], 0);
  theta[2] = 2;
  const { state0, ctrl } = p.inputs(theta);
  const { items, stride } = sim.state;
  for (let k = 0; k < items; k++) expect([state0[k * stride + 2], state0[k * stride + 3]]).toEqual([0.5, -0.25]);
  const c = sim.params.unpack(ctrl, 0);
  expect(c[E.indices[0]]).toBeCloseTo(2 * scene.groups[1].E, 4);
  expect(p.named(theta)['groups[1].E'][0]).toBeCloseTo(2 * scene.groups[1].E, 4);

  // gradients: the sum of dL/dv over items, dL/dE times E0, the track's entries as they are
  const gState = new Float32Array(sim.stateBytes / 4).map((_, i) => (i % stride === 2 ? 1 : i % stride === 3 ? 2 : 0));
  const gc = new Float64Array(sim.params.size);
  gc[E.indices[0]] = 3;
  vel.indices.forEach((i, k) => { gc[i] = k + 1; });
  const packed = new Float32Array(sim.paramValues.length);
  sim.params.pack(packed, 0, gc);
  const g = p.gradient(gState, packed);
  expect(g[0]).toBe(items);
  expect(g[1]).toBe(2 * items);
  expect(g[2]).toBeCloseTo(3 * scene.groups[1].E, 3);
  expect(Array.from(g.subarray(3))).toEqual(vel.indices.length ? Array.from(vel.indices, (_, k) => k + 1) : []);

  // bounds: nu stays inside (0, 0.5)
  const nu = new ParameterVector(sim, ['groups[0].nu']);
  const t = Float64Array.of(10);
  nu.clamp(t);
  expect(t[0] * scene.groups[0].nu).toBeLessThan(0.5);
  sim.destroy();
});

test('an unknown parameter name is refused, listing the allowed ones', async () => {
  const sim = await createSimulator(gpu, tinyScene({ dim: 2, material: 'elastic' }));
  // named as the host program wrote them (params), not as the scene's optimize.params it never set
  expect(() => new ParameterVector(sim, ['groups[7].E'])).toThrow(/^params: 'groups\[7\]\.E' is not a parameter of this scene: allowed initialVelocity, groups\[0\]\.E, groups\[0\]\.nu/);
  expect(() => new ParameterVector(sim, [])).toThrow(/at least one/);
  sim.destroy();
});

test('a non-finite theta is refused by entry and parameter before it reaches the initial state (not a blow-up at step 0)', async () => {
  const sim = await createSimulator(gpu, tinyScene({ dim: 2, material: 'elastic' }), { batch: 2 });
  try {
    const p = new ParameterVector(sim, ['groups[0].E', 'initialVelocity']);
    expect(() => p.inputs(Float64Array.of(1, 0, NaN))).toThrow('theta[2] = NaN (initialVelocity[1]) is not finite: allowed finite numbers');
    expect(() => p.inputsBatch([Float64Array.of(1, 0, 0), Float64Array.of(Infinity, 0, 0)])).toThrow('thetas[1][0] = Infinity (groups[0].E[0]) is not finite');
  } finally {
    sim.destroy();
  }
});

test('an unknown name\'s list of allowed ones includes the shaped names the scene has (actuation.periodic, waypoints)', async () => {
  const sim = await createSimulator(gpu, tinyScene({ dim: 2, material: 'elastic', actuated: true, collider: true }));
  try {
    let message = '';
    try { new ParameterVector(sim, ['actuation.periodc']); } catch (e) { message = (e as Error).message; }
    expect(message).toMatch(/'actuation\.periodc' is not a parameter of this scene: allowed initialVelocity, .*actuation\.periodic/);
    expect(message).toMatch(/colliders\[0\]\.waypoints/);
  } finally {
    sim.destroy();
  }
});

test('actuation.periodic: tanh of a bias and harmonics per channel, bounded, with the chain-rule gradient', async () => {
  const scene = tinyScene({ dim: 2, material: 'elastic', actuated: true });
  const sim = await createSimulator(gpu, scene);
  try {
    const p = new ParameterVector(sim, ['actuation.periodic'], { period: 10, harmonics: 2 });
    const act = sim.params.blocks.find((b) => b.kind === 'actuation')!;
    const A = act.rowLength;
    expect(p.size).toBe(A * 5);
    const theta = p.initial().map((_, i) => Math.sin(3.7 * i) * 2);
    const ctrlOf = (t: Float64Array) => sim.params.unpack(p.inputs(t).ctrl, 0);
    const c = ctrlOf(theta);
    const rows = act.indices.length / A;
    for (let t = 0; t < rows; t++) for (let ch = 0; ch < A; ch++) {
      const v = c[act.indices[t * A + ch]];
      expect(Math.abs(v)).toBeLessThanOrEqual(1);
      // periodic with the period, up to the float32 the control record holds
      if (t + 10 < rows) expect(c[act.indices[(t + 10) * A + ch]]).toBeCloseTo(v, 5);
    }
    // the gradient of a linear functional w . ctrl(theta) against central differences of the map
    const w = new Float64Array(sim.params.size).map((_, i) => Math.cos(1.3 * i));
    const packed = new Float32Array(sim.paramValues.length);
    sim.params.pack(packed, 0, w);
    const g = p.gradient(new Float32Array(sim.stateBytes / 4), packed, theta);
    const f = (t: Float64Array) => { const cc = ctrlOf(t); return act.indices.reduce((s, i) => s + Math.fround(w[i]) * cc[i], 0); };
    for (const i of [0, 1, 4, p.size - 1]) {
      const h = 1e-3, up = theta.slice(), dn = theta.slice();
      up[i] += h; dn[i] -= h;
      expect(g[i]).toBeCloseTo((f(up) - f(dn)) / (2 * h), 2);
    }
    expect(() => p.gradient(new Float32Array(sim.stateBytes / 4), packed)).toThrow(/depends on theta/);
    expect(() => new ParameterVector(sim, ['actuation', 'actuation.periodic'])).toThrow(/name one/);
  } finally {
    sim.destroy();
  }
});

test('<body>.waypoints: a collider track by a few knots, its velocity the slope, the gradient its transpose', async () => {
  const scene = tinyScene({ dim: 2, material: 'elastic', collider: true });
  const sim = await createSimulator(gpu, scene);
  const W = 3, dt = scene.dt;
  const p = new ParameterVector(sim, ['colliders[0].waypoints'], { waypoints: W, dt });
  const pos = sim.params.blocks.find((b) => b.name === 'colliders[0].position')!;
  const vel = sim.params.blocks.find((b) => b.name === 'colliders[0].velocity')!;
  const rows = pos.indices.length / 2;
  expect(rows).toBeGreaterThan(W);
  expect(p.size).toBe(W * 2);
  const base = sim.params.values(0);
  const theta = Float64Array.from({ length: W * 2 }, (_, i) => 0.01 * (i + 1) * (i % 2 ? -1 : 1));
  const c = sim.params.unpack(p.inputs(theta).ctrl, 0);
  const off = (t: number, k: number) => c[pos.indices[2 * t + k]] - base[pos.indices[2 * t + k]];
  // the start stays put, the last row sits on the last knot, and the body moves by its velocity
  expect([off(0, 0), off(0, 1)]).toEqual([0, 0]);
  expect(off(rows - 1, 0)).toBeCloseTo(theta[2 * (W - 1)], 6);
  for (let t = 0; t + 1 < rows; t++) for (let k = 0; k < 2; k++) {
    const dv = c[vel.indices[2 * t + k]] - base[vel.indices[2 * t + k]];
    expect(off(t + 1, k) - off(t, k)).toBeCloseTo(dv * dt, 6); // float32 positions
  }
  // linear: <gradient(g), theta> = <g, track(theta) - track(0)> for any row gradient g
  const g = new Float64Array(sim.params.size).map((_, i) => Math.sin(1.7 * i + 0.3));
  const packed = new Float32Array(sim.paramValues.length);
  sim.params.pack(packed, 0, g);
  const gt = p.gradient(new Float32Array(sim.stateBytes / 4), packed);
  const g32 = sim.params.unpack(packed, 0);
  let lhs = 0, rhs = 0;
  theta.forEach((x, i) => { lhs += gt[i] * x; });
  for (const b of [pos, vel]) b.indices.forEach((i) => { rhs += g32[i] * (c[i] - base[i]); });
  expect(lhs).toBeCloseTo(rhs, 4);
  // a body without a track, or the track named twice, is refused
  expect(() => new ParameterVector(sim, ['colliders[3].waypoints'], { dt })).toThrow(/names no body with a position track.*allowed colliders\[0\]\.waypoints/);
  expect(() => new ParameterVector(sim, ['colliders[0].waypoints', 'colliders[0].velocity'], { dt })).toThrow(/both set colliders\[0\]'s track/);
  expect(() => new ParameterVector(sim, ['colliders[0].waypoints'], { dt, waypoints: 0 })).toThrow(/optimize.waypoints = 0/);
  // a scene's optimize block asking for more knots than the track has rows: a SceneError, not a stack
  expect(() => new ParameterVector(sim, ['colliders[0].waypoints'], { dt, waypoints: 1000 })).toThrow(SceneError);
  expect(() => new ParameterVector(sim, ['colliders[0].waypoints'], { dt, waypoints: 1000 })).toThrow(/^scene\.optimize\.waypoints = 1000 is more knots than the track of 'colliders\[0\]' \(\d+ rows\) has room for after its start: allowed at most \d+$/);
  sim.destroy();
});

test('<body>.waypoints: knots are clamped into the track box, the domain by default', async () => {
  const sim = await createSimulator(gpu, tinyScene({ dim: 2, material: 'elastic', collider: true }));
  const pos = sim.params.blocks.find((b) => b.name === 'colliders[0].position')!;
  const base = sim.params.values(0);
  const last = [base[pos.indices[pos.indices.length - 2]], base[pos.indices[pos.indices.length - 1]]];
  const p = new ParameterVector(sim, ['colliders[0].waypoints'], { waypoints: 2, dt: 1e-3 });
  const theta = Float64Array.of(-50, 50, 50, -50);
  p.clamp(theta);
  // the last knot: pushed to the domain's corner (x to its extent, y to 0)
  expect(last[0] + theta[2]).toBeCloseTo(sim.extent[0], 6);
  expect(last[1] + theta[3]).toBeCloseTo(0, 6);
  const boxed = new ParameterVector(sim, ['colliders[0].waypoints'], { waypoints: 2, dt: 1e-3, trackBounds: { min: [0.2, 0.3], max: [0.4, 0.5] } });
  const t2 = Float64Array.of(-50, 50, 50, -50);
  boxed.clamp(t2);
  expect(last[0] + t2[2]).toBeCloseTo(0.4, 6);
  expect(last[1] + t2[3]).toBeCloseTo(0.3, 6);
  expect(() => new ParameterVector(sim, ['colliders[0].waypoints'], { dt: 1e-3, trackBounds: { min: [0, 0, 0], max: [1, 1, 1] } })).toThrow(/^scene\.optimize\.trackBounds\.min = \[0, 0, 0\] has the wrong length: allowed 2 numbers, one per axis/);
  expect(() => new ParameterVector(sim, ['colliders[0].waypoints'], { dt: 1e-3, trackBounds: { min: [0.5, 0], max: [0.1, 1] } })).toThrow(SceneError);
  sim.destroy();
});

test('a theta of the wrong length, or a copy the simulator does not have, is refused by name', async () => {
  const sim = await createSimulator(gpu, tinyScene({ dim: 2, material: 'elastic' }), { batch: 2 });
  const p = new ParameterVector(sim, ['initialVelocity', 'groups[0].E']);
  expect(() => p.inputs(new Float64Array(2))).toThrow('theta has 2 numbers, expected 3 (initialVelocity: 2, groups[0].E: 1)');
  expect(() => p.inputsBatch([p.initial(), new Float64Array(4)])).toThrow('thetas[1] has 4 numbers, expected 3');
  expect(() => p.clamp(new Float64Array(1))).toThrow('theta has 1 numbers, expected 3');
  const g = new Float32Array(sim.stateBytes / 4), gc = new Float32Array(sim.paramValues.length);
  expect(p.gradient(g, gc, p.initial(), 1)).toHaveLength(3);
  expect(() => p.gradient(g, gc, p.initial(), 2)).toThrow('copy = 2: allowed an integer in [0, 1]');
  sim.destroy();
});

test("a host program's own Parameter: one scale shared by two materials, its gradient the chain rule of the blocks'", async () => {
  const scene = tinyScene({ dim: 2, material: 'elastic', actuated: true, collider: true });
  const sim = await createSimulator(gpu, scene);
  const E = [0, 1].map((g) => sim.params.blocks.find((b) => b.name === `groups[${g}].E`)!.indices[0]);
  const E0 = E.map((i) => sim.params.values(0)[i]);
  const shared: Parameter = {
    name: 'stiffness scale', size: 1, initial: Float64Array.of(1),
    apply(theta, _items, ctrl) { E.forEach((i, g) => { ctrl[i] = theta[0] * E0[g]; }); },
    gradient(_g, gCtrl, out) { out[0] = E.reduce((s, i, g) => s + gCtrl[i] * E0[g], 0); },
    clamp(theta) { theta[0] = Math.max(1e-3, theta[0]); },
  };
  const p = new ParameterVector(sim, ['initialVelocity', shared]);
  const both = new ParameterVector(sim, ['initialVelocity', 'groups[0].E', 'groups[1].E']);
  const theta = p.initial();
  theta[2] = 1.5;
  const c = sim.params.unpack(p.inputs(theta).ctrl, 0);
  expect(c[E[0]]).toBeCloseTo(1.5 * E0[0], 3);
  expect(c[E[1]]).toBeCloseTo(1.5 * E0[1], 3);
  const gState = new Float32Array(sim.stateBytes / 4);
  const gc = new Float64Array(sim.params.size);
  gc[E[0]] = 2;
  gc[E[1]] = -3;
  const packed = new Float32Array(sim.paramValues.length);
  sim.params.pack(packed, 0, gc);
  const g = p.gradient(gState, packed, theta), gb = both.gradient(gState, packed);
  expect(g[2]).toBeCloseTo(gb[2] + gb[3], 6);
  expect(p.partOf(2)).toBe('stiffness scale');
  expect(() => new ParameterVector(sim, [{ ...shared, initial: new Float64Array(2) }])).toThrow("parameters[0] ('stiffness scale'): initial must be a Float64Array of size 1");
  expect(() => new ParameterVector(sim, [shared, shared])).toThrow("'stiffness scale' is named twice");
  sim.destroy();
});

test('write(theta): the controls to the simulator and the initial state back, as inputs() gives them', async () => {
  const sim = await createSimulator(gpu, tinyScene({ dim: 2, material: 'elastic' }));
  const p = new ParameterVector(sim, ['initialVelocity', 'groups[0].E']);
  const theta = Float64Array.of(0.3, -0.2, 1.5);
  const version = sim.paramVersion;
  const state0 = p.write(theta);
  const want = p.inputs(theta);
  expect(sim.paramVersion).toBe(version + 1);
  expect(Array.from(sim.paramValues)).toEqual(Array.from(want.ctrl));
  expect(Array.from(state0)).toEqual(Array.from(want.state0));
  sim.destroy();
});

test('a theta that is not a Float64Array is refused by name (a plain array threw "v.subarray is not a function")', async () => {
  const sim = await createSimulator(gpu, tinyScene({ dim: 2, material: 'elastic' }));
  try {
    const p = new ParameterVector(sim, ['groups[0].E', 'initialVelocity']);
    const plain = [1, 0, 0] as unknown as Float64Array;
    const msg = 'theta is an Array: expected a Float64Array of 3 numbers (Float64Array.from(theta))';
    expect(() => p.write(plain)).toThrow(msg);
    expect(() => p.clamp(plain)).toThrow(msg);
    expect(() => p.gradient(new Float32Array(sim.stateBytes / 4), new Float32Array(sim.params.values(0).length), plain)).toThrow(msg);
    expect(() => p.inputs(Float32Array.of(1, 0, 0) as unknown as Float64Array)).toThrow('theta is a Float32Array: expected a Float64Array');
  } finally {
    sim.destroy();
  }
});

test('a spring stiffness clamped at its lower bound stays a positive float32 that writeParams takes', async () => {
  // the bound is Number.MIN_VALUE (stiffness > 0): a hair inside it used to underflow to 0, so a large
  // Adam or CEM step wrote stiffness 0 and the optimization died on writeParams' RangeError
  const sim = await createSimulator(gpu, chain2d());
  const p = new ParameterVector(sim, ['materials[0].stiffness', 'materials[1].damping']);
  const theta = Float64Array.of(-20, -20);
  p.clamp(theta);
  const values = p.named(theta);
  expect(values['materials[0].stiffness'][0]).toBeGreaterThan(0);
  expect(Math.fround(values['materials[0].stiffness'][0])).toBeGreaterThan(0);
  expect(values['materials[1].damping'][0]).toBeGreaterThanOrEqual(0);
  expect(() => p.write(theta)).not.toThrow();
  sim.destroy();
});

test('writeParams refuses a control record that is not a packed Float32Array, by name, for every simulator', async () => {
  // sim.writeParams(sim.params.values(0)), a Float64Array of the packed length, passed the length check
  // and overran the GPU buffer ("writeBuffer 'springs.ctrl': 19240 bytes at 0 overrun its 9620 bytes")
  const scenes = [chain2d(), tinyScene({ dim: 2, material: 'elastic', actuated: true }), { ...chain2d(), controller: { hidden: [4], inputs: ['com' as const] } }];
  for (const scene of scenes) {
    const sim = await createSimulator(gpu, scene);
    const n = sim.paramValues.length;
    expect(() => sim.writeParams(new Float64Array(n) as unknown as Float32Array)).toThrow(`writeParams: the control record is a Float64Array of ${n}: allowed a Float32Array of ${n} floats`);
    expect(() => sim.writeParams(new Float32Array(n + 1))).toThrow(`writeParams: the control record is a Float32Array of ${n + 1}: allowed a Float32Array of ${n} floats`);
    expect(() => sim.writeParams(sim.paramValues.slice())).not.toThrow();
    sim.destroy();
  }
});
