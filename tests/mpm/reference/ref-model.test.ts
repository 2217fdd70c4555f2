// The reference's view of a packed scene: one batch copy, control entries addressable and overridable.
import { describe, expect, it } from 'vitest';
import type { MpmScene } from '../../../src/mpm/scene';
import { packMpm } from '../../../src/mpm/layout';
import {
  MAT_FLUID, MAT_PLASTIC, NO_ACTUATOR, WALL_SLIP, actValue, ctrlActIndex, ctrlGroupIndex, ctrlTrackIndex,
  loadCollider, loadGroup, p2g, packedCtrlIndex, refModel, refState0, withCtrl,
} from '../../../src/mpm/reference';

const scene: MpmScene = {
  name: 'two-groups', dim: 2, grid: { res: [16, 16], dx: 1 / 16 }, dt: 1e-3, steps: 2, gravity: [0, -9.8],
  boundary: { walls: 'slip', boundCells: 2 },
  groups: [
    { name: 'water', material: 'fluid', E: 50, nu: 0.3, density: 1, viscosity: 0.01 },
    { name: 'clay', material: 'elastoplastic', E: 200, nu: 0.25, density: 3, plastic: { thetaC: 0.02, thetaS: 0.01 },
      actuator: { channel: 1, strength: 5, fiber: [0, 1] } },
  ],
  particles: { x: [0.4, 0.4, 0.6, 0.5], v: [1, 0, 0, -1], group: [0, 1], vol: [1e-3, 2e-3] },
  colliders: [{ name: 'box', shape: 'box', halfExtents: [0.1, 0.05], friction: 0.3,
    position: [[0.5, 0.2]], velocity: [[0, 0], [0, 0.5], [0, 1]] }],
  actuation: { channels: 2, values: [0, 1, 0, 2, 0, 3, 0, 4] },
};

describe('refModel', () => {
  it('reads the packed model, params and control of one batch copy', () => {
    const m = refModel(packMpm(scene));
    expect([m.dim, m.n, m.nodes, m.nGroups, m.nColliders, m.nAct, m.horizon]).toEqual([2, 2, 256, 2, 1, 2, 4]);
    expect([m.dx, m.invDx, m.wallKind, m.bound, m.groundMu]).toEqual([1 / 16, 16, WALL_SLIP, 2, -1]);
    expect(m.dt).toBeCloseTo(1e-3, 10);
    expect(m.gravity[1]).toBeCloseTo(-9.8, 6);
    expect(Array.from(m.particleGroup)).toEqual([0, 1]);
    const water = loadGroup(m, 0), clay = loadGroup(m, 1);
    expect([water.material, water.actuator, clay.material, clay.actuator]).toEqual([MAT_FLUID, NO_ACTUATOR, MAT_PLASTIC, 1]);
    expect(Array.from(clay.fiber)).toEqual([0, 1]);
    expect([clay.E, clay.density, clay.actStrength]).toEqual([200, 3, 5]);
    expect(clay.thetaC).toBeCloseTo(0.02, 8);
    expect(water.viscosity).toBeCloseTo(0.01, 8);
    // Tracks: step k reads row min(k, horizon - 1); the last row given is held.
    expect([0, 1, 3, 99].map((k) => actValue(m, k, 1))).toEqual([1, 2, 4, 4]);
    const col = loadCollider(m, 0, 7);
    expect([col.friction, ...col.h, ...col.c, ...col.u].map((x) => Math.round(x * 1e6) / 1e6)).toEqual([0.3, 0.1, 0.05, 0.5, 0.2, 0, 1]);
    expect(Array.from(refState0(packMpm(scene)).subarray(0, 8))).toEqual([0.4, 0.4, 1, 0, 0, 0, 0, 0].map(Math.fround));
  });

  it('takes batch copy b, and maps its ctrl entries back to the packed buffer', () => {
    const packed = packMpm(scene, 3);
    packed.ctrl[packed.ctrlLayout.groupsOff + (2 * 2 + 1) * 8] = 400; // copy 2, group 1, E
    const m0 = refModel(packed, 0), m2 = refModel(packed, 2);
    expect(loadGroup(m0, 1).E).toBe(200);
    expect(loadGroup(m2, 1).E).toBe(400);
    for (let i = 0; i < m2.ctrl.length; i++) expect(packed.ctrl[packedCtrlIndex(packed, 2, i)]).toBe(m2.ctrl[i]);
    expect(m2.ctrl[ctrlGroupIndex(m2, 1, 'E')]).toBe(400);
    expect(m2.ctrl[ctrlActIndex(m2, 2, 1)]).toBe(3);
    expect(m2.ctrl[ctrlTrackIndex(m2, 2, 0) + 4 + 1]).toBe(1);
  });

  it('withCtrl overrides the control (here E) and checks its length', () => {
    const m = refModel(packMpm(scene));
    const s = refState0(packMpm(scene));
    s[12 + 8] = 1.1; // stretch F of particle 1 (clay): record x 2, v 2, C 4, F 4
    const ctrl = m.ctrl.slice();
    ctrl[ctrlGroupIndex(m, 1, 'E')] *= 2;
    const a = p2g(m, s, 0).mv, b = p2g(withCtrl(m, ctrl), s, 0).mv;
    expect(a.some((x, i) => Math.abs(x - b[i]) > 1e-9)).toBe(true);
    expect(() => withCtrl(m, new Float64Array(3))).toThrow(/ctrl has 3 entries/);
  });
});
