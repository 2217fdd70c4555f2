// Stress and contact building blocks of the reference, against energies and hand-worked cases.
import { describe, expect, it } from 'vitest';
import type { MpmScene } from '../../../src/mpm/scene';
import {
  MAT_ELASTIC, MAT_FLUID, MAT_PLASTIC, NO_ACTUATOR, contact, cofactor, ddot, det, directionalFD, gridContacts,
  ident, kirchhoff, lame, mul, mulVec, projection, randomDirection, refModelFromScene, rng,
  roundedBoxSdf, svd, transpose, wallContact, wallNormal, type RefGroup, type Mat,
} from '../../../src/mpm/reference';

const group = (material: number, extra: Partial<RefGroup> = {}): RefGroup => ({
  material, actuator: NO_ACTUATOR, fiber: Float64Array.of(1, 0, 0), E: 1000, nu: 0.3, density: 1,
  viscosity: 0, actStrength: 0, thetaC: 0.025, thetaS: 0.0075, ...extra,
});

const v = (...x: number[]) => Float64Array.from(x);

function near(dim: 2 | 3, rand: () => number, amp: number): Mat {
  return ident(dim).map((x) => x + amp * (rand() - 0.5));
}

describe.each([2, 3] as const)('kirchhoff %dD', (dim) => {
  it('is P F^T of the fixed-corotated + actuation energy (checked by finite differences)', () => {
    const rand = rng(11 + dim);
    const fiber = randomDirection(dim, rand);
    const g = group(MAT_ELASTIC, { actuator: 0, actStrength: 50, fiber });
    const a = 0.7;
    const [mu, la] = lame(g.E, g.nu);
    // Psi = mu |F - R|^2 + lambda/2 (J - 1)^2 + a s/2 |F f|^2
    const psi = (F: Float64Array) => {
      const r = svd(F);
      const FR = F.map((x, i) => x - mul(r.U, transpose(r.V))[i]);
      const u = mulVec(F, fiber);
      return mu * ddot(FR, FR) + 0.5 * la * (det(F) - 1) ** 2 + 0.5 * a * g.actStrength * ddot(u, u);
    };
    for (let trial = 0; trial < 10; trial++) {
      const F = near(dim, rand, 0.6);
      const tau = kirchhoff(g, F, new Float64Array(dim * dim), a);
      const P = mul(tau, cofactor(F)).map((x) => x / det(F)); // P = tau F^{-T}
      const dir = randomDirection(dim * dim, rand);
      expect(directionalFD(psi, F, dir, 1e-6)).toBeCloseTo(ddot(P, dir), 5);
      const tauT = transpose(tau);
      tau.forEach((x, i) => expect(x).toBeCloseTo(tauT[i], 9)); // symmetric
    }
  });

  it('vanishes for a rotation; fluid: K J (J - 1) I plus viscosity eta J (C + C^T)', () => {
    const rand = rng(5);
    const Rot = svd(near(dim, rand, 1)).U;
    expect(Math.max(...kirchhoff(group(MAT_ELASTIC), Rot, new Float64Array(dim * dim), 0).map(Math.abs))).toBeLessThan(1e-9);
    const J = 0.9, F = ident(dim).map((x) => x * J ** (1 / dim));
    const C = Float64Array.from({ length: dim * dim }, rand);
    const g = group(MAT_FLUID, { viscosity: 0.3 });
    const [mu, la] = lame(g.E, g.nu), K = la + (2 * mu) / dim;
    const expected = ident(dim).map((x, i) => K * J * (J - 1) * x + 0.3 * J * (C[i] + transpose(C)[i]));
    kirchhoff(g, F, C, 0).forEach((x, i) => expect(x).toBeCloseTo(expected[i], 9));
  });

  it('projection: plastic clamps singular values, fluid resets to J^(1/dim) I, elastic keeps F', () => {
    const rand = rng(8);
    const g = group(MAT_PLASTIC);
    for (let t = 0; t < 20; t++) {
      const F = near(dim, rand, 0.2);
      const s = svd(projection(g, F)).s;
      s.forEach((x) => { expect(x).toBeGreaterThanOrEqual(1 - g.thetaC - 1e-12); expect(x).toBeLessThanOrEqual(1 + g.thetaS + 1e-12); });
      const Ff = projection(group(MAT_FLUID), F);
      Ff.forEach((x, i) => expect(x).toBeCloseTo(ident(dim)[i] * det(F) ** (1 / dim), 14));
      expect(Array.from(projection(group(MAT_ELASTIC), F))).toEqual(Array.from(F));
    }
    const inverted = ident(dim); inverted[0] = -1;
    expect(det(projection(group(MAT_FLUID), inverted))).toBeCloseTo(1e-6, 18); // J floored at 1e-6
  });
});

describe('contact', () => {
  it('removes the approaching normal part and applies Coulomb friction to the rest', () => {
    const n = v(0, 1);
    expect(Array.from(contact(v(1, 2), n, 0.5))).toEqual([1, 2]); // separating: unchanged
    expect(Array.from(contact(v(1, -2), n, 0))).toEqual([1, 0]); // frictionless: slides
    expect(contact(v(1, -2), n, 0.25)[0]).toBeCloseTo(0.5, 15); // |vt| shrinks by mu |vn|
    expect(Array.from(contact(v(1, -2), n, 1))).toEqual([0, 0]); // sticks
  });

  it('rounded-box SDF: sphere, box face, box corner', () => {
    const s = roundedBoxSdf(v(0.3, -0.4), v(0, 0), 0.25);
    expect(s.phi).toBeCloseTo(0.25, 15);
    expect(Array.from(s.n)).toEqual([0.6, -0.8].map((x) => expect.closeTo(x, 15)));
    const inside = roundedBoxSdf(v(0.2, -0.3), v(1, 0.5), 0);
    expect(inside.phi).toBeCloseTo(-0.2, 15);
    expect(Array.from(inside.n)).toEqual([0, -1]);
    const corner = roundedBoxSdf(v(-2, 1.5, 0), v(1, 0.5, 1), 0.1);
    expect(corner.phi).toBeCloseTo(Math.SQRT2 - 0.1, 15);
    expect(corner.n[0]).toBeCloseTo(-Math.SQRT1_2, 15);
  });
});

function tinyScene(walls: 'sticky' | 'slip' | 'separate', groundFriction?: number): MpmScene {
  return {
    name: 'tiny', dim: 2, grid: { res: [32, 32], dx: 1 / 32 }, dt: 1e-3, steps: 1, gravity: [0, 0],
    boundary: { walls, groundFriction },
    groups: [{ name: 'g', material: 'elastic', E: 100, nu: 0.2, density: 1 }],
    particles: { x: [0.5, 0.5], v: [0, 0], group: [0], vol: [1e-3] },
    colliders: [{
      name: 'ball', shape: 'sphere', radius: 0.1, friction: 0,
      position: [[0.5, 0.2], [0.5, 0.3], [0.5, 0.5]], velocity: [[0.1, 0]],
    }],
  };
}

describe('grid contacts', () => {
  it('walls: sticky, slip, separate; the ground has friction when groundFriction >= 0', () => {
    const left = [1, 10];
    const into = v(-1, 0.5);
    for (const [walls, out] of [['sticky', [0, 0]], ['slip', [0, 0.5]], ['separate', [0, 0.5]]] as const) {
      const m = refModelFromScene(tinyScene(walls));
      expect(Array.from(wallNormal(m, left, 0))).toEqual([1, 0]);
      expect(Array.from(wallNormal(m, left, 1))).toEqual([0, 0]);
      expect(Array.from(wallContact(m, into, wallNormal(m, left, 0), 0))).toEqual(out);
    }
    const sep = refModelFromScene(tinyScene('separate'));
    expect(Array.from(wallContact(sep, v(1, 0.5), v(1, 0), 0))).toEqual([1, 0.5]); // leaving the wall
    expect(Array.from(wallNormal(sep, [30, 29], 1))).toEqual([0, -1]); // high band: res - bound = 29
    const ground = refModelFromScene(tinyScene('sticky', 0.5));
    // Sticky walls, but the ground (axis 1, low side) is a friction contact.
    const vg = gridContacts(ground, [10, 2], v(1, -1), 0);
    expect(vg[0]).toBeCloseTo(0.5, 6);
    expect(vg[1]).toBe(0);
  });

  it('a collider acts in its own frame, at the track row min(step, horizon - 1)', () => {
    const m = refModelFromScene(tinyScene('separate'));
    expect(m.horizon).toBe(3);
    // Node (16, 15) at y = 0.46875 lies inside the ball only once it has moved to (0.5, 0.5) (row 2).
    const node = [16, 15], vin = v(0.3, 0.5);
    expect(Array.from(gridContacts(m, node, vin, 0))).toEqual([0.3, 0.5]);
    for (const step of [2, 10]) {
      // Relative velocity (0.2, 0.5) into the normal (0, -1): the normal part goes, friction 0 keeps 0.2.
      const out = gridContacts(m, node, vin, step);
      expect(out[0]).toBeCloseTo(0.3, 6);
      expect(out[1]).toBeCloseTo(0, 6);
    }
  });

  it('a turned collider acts with its shape turned, and a spinning one moves its surface', () => {
    const bar = (orientation: number[], angularVelocity: number[]): MpmScene => ({
      ...tinyScene('separate'),
      colliders: [{ name: 'bar', shape: 'box', halfExtents: [0.15, 0.05], friction: 0,
        position: [[0.5, 0.5]], velocity: [[0, 0]], orientation: [orientation], angularVelocity: [angularVelocity] }],
    });
    // Node (15, 20) at (0.46875, 0.625), r = (-0.03125, 0.125) from the bar's centre: outside the
    // flat bar, inside it turned upright (p = R^T r = (0.125, 0.03125)), where its nearest face (the
    // bar's own +y face) faces -x in the world.
    const node = [15, 20], vin = v(0.5, 0);
    expect(Array.from(gridContacts(refModelFromScene(bar([0], [0])), node, vin, 0))).toEqual([0.5, 0]);
    // (the angle is stored as float32, so the upright bar is off by ~4e-8 rad)
    const up = gridContacts(refModelFromScene(bar([Math.PI / 2], [0])), node, vin, 0);
    expect(up[0]).toBeCloseTo(0, 6);
    expect(up[1]).toBeCloseTo(0, 6);
    // Spinning at 2 rad/s, the body there moves at w x r = (-0.25, -0.0625): the contact removes
    // the relative normal velocity, so the node leaves with the body's -0.25 along x, and the
    // frictionless tangential part leaves y at 0.
    const spun = gridContacts(refModelFromScene(bar([Math.PI / 2], [2])), node, vin, 0);
    expect(spun[0]).toBeCloseTo(-0.25, 6);
    expect(spun[1]).toBeCloseTo(0, 6);
  });
});
