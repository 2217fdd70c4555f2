// The resolution knob over the registry: every MPM scene (particles per cell) and every cloth or
// paper scene (quads per side) has one, except where the scene's data is tied to the item count
// (jelly-sysid-2d's observations are per particle); spring robots have no size parameter in their
// builders. Each scene with the knob rebuilds as the panel does (panel.ts withResolution: validated,
// edits kept) with another item count at its smallest value, builds at its largest value, and refuses a value out of range naming the field and the allowed integers.
import { describe, expect, it } from 'vitest';
import { buildScene, sceneNames, sceneResolution } from '../../scenes/index';
import { SceneError } from '../../src/core/scene-error';
import type { Scene } from '../../src/simulators';
import { withResolution } from '../../src/viewer/panel';

/** Registered scenes without the knob, and why. */
const WITHOUT: Record<string, string> = {
  'jelly-sysid-2d': 'its loss matches observed positions particle by particle',
  'spring-robot-2d': 'no size parameter', 'robot-chase-mpc-2d': 'no size parameter', 'spring-walker-2d': 'no size parameter',
  'spring-robot-3d': 'no size parameter',
};

const items = (s: Scene) => ('particles' in s ? s.particles.group.length : s.vertices.mass.length);

describe('resolution knob over the registry', () => {
  it('every scene where resolution means something has the knob', () => {
    for (const name of sceneNames) {
      const r = sceneResolution(name);
      expect(r === null, `${name}: ${WITHOUT[name] ?? 'should have a knob'}`).toBe(name in WITHOUT);
      if (r) expect(r.min <= r.default && r.default <= r.max, `${name}: ${JSON.stringify(r)}`).toBe(true);
    }
  });

  it.each(sceneNames.filter((n) => !(n in WITHOUT)))('%s rebuilds with fewer items at its smallest value and refuses one out of range', (name) => {
    const r = sceneResolution(name)!;
    const base = buildScene(name);
    expect(items(buildScene(name, { resolution: r.default }))).toBe(items(base));
    // as the panel rebuilds it: the scene's builder at the new value, edited parameters carried over
    const small = withResolution(name, r.min, { ...base, gravity: base.gravity.map((g) => g / 2) } as Scene);
    expect(small.name).toBe(base.name);
    expect(small.gravity).toEqual(base.gravity.map((g) => g / 2));
    expect(items(small), `${name} at ${r.min} ${r.label}`).toBeLessThan(items(base));
    // its largest value builds too: what a finer mesh can fail (the time step's stability limit, a
    // self-contact thickness above the shortest edge) only gets harder with the resolution
    expect(() => buildScene(name, { resolution: r.max }), `${name} at ${r.max} ${r.label}`).not.toThrow();
    let err: unknown = null;
    try { buildScene(name, { resolution: r.max + 1 }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(SceneError);
    expect((err as Error).message).toMatch(new RegExp(`resolution = ${r.max + 1} .*integers in \\[${r.min}, ${r.max}\\]`));
  });
});
