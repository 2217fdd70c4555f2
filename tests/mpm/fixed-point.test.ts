// The fixed-point accumulation (src/mpm/fixed-point.ts, src/shaders/common/fixed_point.wgsl): encode
// and decode, the forward scales and their overflow bounds, the adjoint scale, and on the GPU what
// happens when a grid node's momentum goes past the bound.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { FP_HEADROOM, adjointScale, encode, forwardScales, pow2Below } from '../../src/mpm/fixed-point';
import { readF32 } from '../../src/gpu/buffers';
import { MpmSim } from '../../src/mpm/simulator';
import { packMpm, particleStride } from '../../src/mpm/layout';
import { refModel, refState0, rollout } from '../../src/mpm/reference';
import { rng } from '../../src/core/finite-diff';
import { validateScene } from '../../src/mpm/validate';
import { Rollout, RolloutError } from '../../src/core/rollout';
import { tinyScene } from '../helpers/tiny-scenes';

const I32_MAX = 2 ** 31 - 1;
const isPow2 = (x: number) => x > 0 && 2 ** Math.round(Math.log2(x)) === x;

describe('encode / decode', () => {
  test('round trip within half a quantum, 0.5 / scale', () => {
    const rand = rng(90);
    for (const scale of [2 ** -10, 1, 2 ** 20, 2 ** 37, 2 ** 60]) {
      for (let k = 0; k < 2000; k++) {
        // |x scale| up to 2^30, spread over many binades
        const x = (rand() < 0.5 ? -1 : 1) * 2 ** (30 * rand()) / scale;
        const q = encode(x, scale);
        expect(Number.isInteger(q)).toBe(true);
        expect(Math.abs(q / scale - x)).toBeLessThanOrEqual(0.5 / scale);
      }
    }
  });

  test('ties round to even, as WGSL round()', () => {
    expect([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, -3.5].map((x) => encode(x, 1) + 0)).toEqual([0, 2, 2, 4, 0, -2, -2, -4]);
    expect(encode(0.75, 2)).toBe(2); // 1.5 -> 2
    expect(encode(1.25, 2)).toBe(2); // 2.5 -> 2
  });

  test('saturates at +-2147483000 instead of wrapping', () => {
    expect(encode(1e30, 1)).toBe(2147483000);
    expect(encode(-1e30, 1)).toBe(-2147483000);
    expect(encode(3, 2 ** 30)).toBe(2147483000);
  });
});

describe('forwardScales', () => {
  const cases: [number, number, number, 2 | 3][] = [];
  for (const density of [1, 2, 0.37, 1000]) for (const dx of [1 / 32, 1 / 16, 0.01, 0.05]) for (const dt of [1e-3, 3e-4]) for (const dim of [2, 3] as const) cases.push([density, dx, dt, dim]);

  test('bounds cover FP_HEADROOM rest cells (and that mass at the CFL speed); two values at the bound sum inside i32', () => {
    const overflows: string[] = [];
    for (const [density, dx, dt, dim] of cases) {
      const s = forwardScales(density, dx, dt, dim);
      const mass = FP_HEADROOM * density * dx ** dim;
      // The nominal momentum bound: that mass at the blow-up speed dx / dt (forwardScales' choice).
      const momentum = mass * (dx / dt);
      expect(isPow2(s.fpM) && isPow2(s.fpP)).toBe(true);
      // the reported bounds (what grid_update checks) are 2^30 in fixed point: half the i32 range
      expect(s.massBound).toBe(2 ** 30 / s.fpM);
      expect(s.momentumBound).toBe(2 ** 30 / s.fpP);
      expect(s.massBound).toBeGreaterThanOrEqual(mass);
      expect(s.momentumBound).toBeGreaterThanOrEqual(momentum);
      for (const [what, v, scale] of [['mass', mass, s.fpM], ['momentum', momentum, s.fpP]] as const) {
        const q = encode(v, scale);
        // Values at the nominal bound map to at most 2^30 ...
        expect(q, `${what} at the bound`).toBeLessThanOrEqual(2 ** 30);
        // ... and two of them, summed by atomicAdd, must not wrap.
        if (new Int32Array([q + q])[0] !== q + q) overflows.push(`density ${density}, dx ${dx}, dt ${dt}, ${dim}D: ${what} ${v} -> ${q}, twice ${q + q} > ${I32_MAX}`);
      }
    }
    expect(overflows, `${overflows.length} of ${2 * cases.length} bounds wrap when summed twice`).toEqual([]);
  });

  test('packMpm takes the scales from the densest group', () => {
    const scene = tinyScene({ dim: 2, material: 'elastic', actuated: true });
    scene.groups[1].density = 3;
    expect(packMpm(scene).scales).toEqual(forwardScales(3, scene.grid.dx, scene.dt, 2));
  });

  test('pow2Below is the largest power of two <= x', () => {
    for (const x of [1, 1.5, 2, 3, 1024, 1025, 0.3, 2 ** -40 * 3]) {
      const p = pow2Below(x);
      expect(isPow2(p)).toBe(true);
      expect(p).toBeLessThanOrEqual(x);
      expect(2 * p).toBeGreaterThan(x);
    }
  });
});

describe('adjointScale', () => {
  test('a node of mass up to m_bound holds m_bound / m_min contributions of the largest size within 2^30, with less than 2x to spare', () => {
    for (let e = -25; e <= 30; e += 0.173) { // below 1e-25 the exponent clamp (next test) takes over
      for (const count of [0.3, 1, 3, 4, 37.5, 1000]) {
        const m = 10 ** e;
        const s = adjointScale(m, count * 0.25, 4); // mass bound / min particle mass = count
        const n = Math.max(count, 1);
        expect(isPow2(s)).toBe(true);
        expect(s * m * n).toBeLessThanOrEqual(2 ** 30);
        expect(s * m * n).toBeGreaterThan(2 ** 27);
      }
    }
  });

  test('the exponent is clamped to [-120, 120], still without overflow', () => {
    expect(adjointScale(1e-45, 1, 1)).toBe(2 ** 120);
    for (const m of [1e-45, 1e-40, 3e38]) expect(adjointScale(m, 8, 1) * m * 8).toBeLessThanOrEqual(2 ** 30);
  });

  test('no contribution (0, negative, NaN, Inf): scale 1', () => {
    for (const m of [0, -1, NaN, Infinity, -Infinity]) expect(adjointScale(m, 1, 1)).toBe(1);
  });
});

describe('GPU: grid momentum past the fixed-point bound', () => {
  let gpu: GpuContext;
  beforeAll(async () => { gpu = await requestGpu(); });
  afterAll(() => gpu?.destroy());

  /** Mass per cell of the dense block, in units of the rest mass density * dx^2. */
  const PACKING = 12;

  /**
   * A 2D block packed at PACKING x the rest mass per cell (4 particles per cell, each of volume
   * PACKING dx^2 / 4) moving at `speed` along x, no gravity; validateScene accepts it for any speed
   * <= dx / dt = 31.25. Interior nodes hold 12 rho dx^2 of mass, under massBound = 16 rho dx^2, and
   * momentum 12 rho dx^2 speed against momentumBound = 2^31 / fpP = 0.25: over it for speed > 21.3.
   */
  function denseBlock(speed: number) {
    const scene = tinyScene({ dim: 2, material: 'elastic', velocity: [speed, 0], gravity: false, jitter: false, seed: 95 });
    delete scene.groups[0].plastic; // unused by an elastic group, and refused by validateScene
    scene.particles.vol = scene.particles.vol.map(() => (PACKING * scene.grid.dx ** 2) / 4);
    return scene;
  }

  /** Node momentum of the block's interior against the bound. */
  function momentumOverBound(speed: number): number {
    const scene = denseBlock(speed);
    const { momentumBound, massBound } = packMpm(scene).scales;
    const nodeMass = PACKING * scene.groups[0].density * scene.grid.dx ** 2;
    expect(nodeMass).toBeLessThan(massBound);
    return (nodeMass * speed) / momentumBound;
  }

  /** GPU particle velocities after one step vs the float64 reference, relative to the speed. */
  const SPEED_TOL = 1e-4;

  async function oneStepError(speed: number): Promise<{ err: number; vGpu: number; vRef: number }> {
    const sim = await MpmSim.create(gpu, denseBlock(speed));
    const roll = new Rollout(sim, 1, 'full');
    await roll.forward().catch(() => null);
    const s = await readF32(gpu.device, roll.final.buf);
    const ref = rollout(refModel(sim.packed), refState0(sim.packed), 1)[1];
    const ps = particleStride(2);
    let err = 0, worst = 0;
    for (let p = 0; p < sim.packed.n; p++) {
      const e = Math.abs(s[p * ps + 2] - ref[p * ps + 2]) / speed;
      if (e > err) { err = e; worst = p; }
    }
    const out = { err, vGpu: s[worst * ps + 2], vRef: ref[worst * ps + 2] };
    roll.destroy();
    sim.destroy();
    return out;
  }

  test('below the bound (speed 15): the GPU step matches the reference', async () => {
    const scene = denseBlock(15);
    validateScene(scene);
    expect(momentumOverBound(15)).toBeLessThan(1);
    const r = await oneStepError(15);
    console.log(`speed 15: worst particle v_x GPU ${r.vGpu} vs reference ${r.vRef}`);
    expect(r.err).toBeLessThan(SPEED_TOL);
  });

  test('over the bound (speed 28 <= dx/dt): the rollout reports a blow-up instead of wrapping silently', async () => {
    const scene = denseBlock(28);
    validateScene(scene); // a valid scene: nothing upstream refuses it
    expect(momentumOverBound(28)).toBeGreaterThan(1);
    const r = await oneStepError(28);
    console.log(`speed 28: worst particle v_x after one step GPU ${r.vGpu} vs reference ${r.vRef} (relative error ${r.err.toExponential(2)})`);
    const sim = await MpmSim.create(gpu, scene);
    const roll = new Rollout(sim, 5, 'auto');
    const err = await roll.forward().then(() => null, (e: unknown) => e);
    roll.destroy();
    sim.destroy();
    // Either the result is right or the overflow is reported; a wrong result with no error is the bug.
    if (r.err >= SPEED_TOL) expect(err, 'momentum wrapped in the grid and the rollout did not report it').toBeInstanceOf(RolloutError);
  });
});
