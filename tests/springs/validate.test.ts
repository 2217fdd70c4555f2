// Every error a user can cause with a spring or shell scene has a test here: the message names the
// field (down to the element), shows the value and says what is allowed.
import { describe, expect, it } from 'vitest';
import { validateSpringScene, DEFAULT_MAX_BUFFER_BYTES } from '../../src/springs/validate';
import { springParamNames } from '../../src/springs/param-names';
import { exportSceneJson, parseSceneJson, validateScene } from '../../src/mpm/validate';
import { MAX_STEPS } from '../../src/mpm/schema';
import type { SceneLimits } from '../../src/mpm/validate';
import type { SpringScene } from '../../src/springs/scene';
import { expectSceneError } from '../scenes/fixtures';
import { tinyShellScene, tinySpringScene } from './scene-fixtures';

/** `any`: the edits make the scene ill-typed on purpose. */
type Untyped = any;
/** A tiny valid scene (3D shell, or 2D springs), changed by `edit`, then validated. */
function check(edit: (s: Untyped) => void, opts: { limits?: SceneLimits; batch?: number; dim?: 2 | 3 } = {}) {
  const s: Untyped = opts.dim === 2 ? tinySpringScene() : tinyShellScene();
  edit(s);
  return () => validateSpringScene(s, opts.limits, opts.batch);
}
const check2d = (edit: (s: Untyped) => void) => check(edit, { dim: 2 });

describe('validateSpringScene accepts', () => {
  it('the tiny shell that uses every field, and returns it', () => {
    const s = tinyShellScene();
    expect(validateSpringScene(s)).toBe(s);
  });

  it('the 2D square of springs, and a scene without optional fields', () => {
    expect(() => check2d(() => {})()).not.toThrow();
    expect(() => check2d((s) => {
      delete s.springs; delete s.ground; delete s.actuation; delete s.description;
    })()).not.toThrow();
  });

  it('through validateScene for kinds "springs" and "shell", and round-trips through JSON', () => {
    for (const s of [tinyShellScene(), tinySpringScene()]) {
      expect(validateScene(s)).toBe(s);
      const back = parseSceneJson(exportSceneJson(s));
      expect(back).toStrictEqual(s);
    }
  });

  it('non-manifold edges where no triangle bends, and colliders with a zero spin', () => {
    expect(() => check((s) => {
      s.triangles.indices.push(0, 1, 5, 0, 1, 7);
      s.triangles.material.push(1, 1);
      s.materials[0].bending = 0;
    })()).not.toThrow();
    expect(() => check((s) => { s.colliders[0].angularVelocity = [[0, 0, 0]]; })()).not.toThrow();
  });
});

describe('scene-wide fields', () => {
  it('not an object; unknown or missing fields; unknown kind', () => {
    expectSceneError(() => validateSpringScene([1]), '', '[1]', 'an object');
    expectSceneError(check((s) => { s.stiffness = 3; }), 'stiffness', '3', 'the fields kind, name');
    // MPM-only fields are unknown here, the particle sort as the grid (only MPM particles are sorted)
    expectSceneError(check((s) => { s.sortEvery = 4; }), 'sortEvery', '4', 'the fields kind, name');
    expectSceneError(check((s) => { delete s.extent; }), 'extent', 'undefined', 'an array');
    expectSceneError(check((s) => { s.kind = 'cloth'; }), 'kind', '"cloth"', '"springs", "shell"');
    expectSceneError(() => validateScene({ ...tinyShellScene(), kind: 'cloth' }), 'kind', '"cloth"', '"mpm", "springs", "shell"');
  });

  it('dim 2 or 3', () => {
    expectSceneError(check((s) => { s.dim = 4; }), 'dim', '4', '2, 3');
    expectSceneError(check((s) => { delete s.dim; }), 'dim', 'undefined', '2, 3');
  });

  it('gravity and extent: one entry per axis, extent > 0', () => {
    expectSceneError(check((s) => { s.gravity = [0, -9.8]; }), 'gravity', '[0, -9.8]', 'exactly 3 items');
    expectSceneError(check2d((s) => { s.extent = [1, 1, 1]; }), 'extent', '[1, 1, 1]', 'exactly 2 items');
    expectSceneError(check((s) => { s.extent[1] = 0; }), 'extent[1]', '0', '[1.176e-38, 3.402e+38]');
    expectSceneError(check((s) => { s.gravity[2] = Infinity; }), 'gravity[2]', 'Infinity', 'a finite number');
  });

  it('dt > 0 and finite; steps an integer in [1, MAX_STEPS]; damping >= 0', () => {
    expectSceneError(check((s) => { s.dt = 0; }), 'dt', '0', '[1.176e-38, 3.402e+38]');
    const e = expectSceneError(check((s) => { s.dt = Infinity; }), 'dt', 'Infinity', 'a number in');
    expect(e.message).toContain('is not finite');
    expectSceneError(check((s) => { s.steps = 0; }), 'steps', '0', `integers in [1, ${MAX_STEPS}]`);
    expectSceneError(check((s) => { s.steps = 2.5; }), 'steps', '2.5', 'an integer');
    expectSceneError(check((s) => { s.steps = MAX_STEPS + 1; }), 'steps', `${MAX_STEPS + 1}`, `[1, ${MAX_STEPS}]`);
    expectSceneError(check((s) => { s.damping = -0.5; }), 'damping', '-0.5', '[0, 3.402e+38]');
  });
});

describe('vertices', () => {
  it('x and v of length N * dim, mass of length N >= 1', () => {
    expectSceneError(check((s) => { s.vertices.x.pop(); }), 'vertices.x', 'an array of 26 items', 'exactly 27 items (dim x vertex count');
    expectSceneError(check2d((s) => { s.vertices.v.push(0); }), 'vertices.v', 'an array of 9 items', 'exactly 8 items');
    // x holds whole vertices of another count than mass: mass is named, with what x holds
    expectSceneError(check((s) => { s.vertices.mass.pop(); }), 'vertices.mass', 'an array of 8 items', 'exactly 9 items (one per vertex: vertices.x holds 27 numbers, 9 vertices of dim 3)');
    expectSceneError(check((s) => { s.vertices = { x: [], v: [], mass: [] }; }), 'vertices.mass', '[]', 'at least 1 vertex');
  });

  it('finite positions and velocities, masses > 0', () => {
    expectSceneError(check((s) => { s.vertices.x[4] = NaN; }), 'vertices.x[4]', 'NaN', 'a finite number');
    expectSceneError(check((s) => { s.vertices.v[7] = -Infinity; }), 'vertices.v[7]', '-Infinity', 'a finite number');
    expectSceneError(check((s) => { s.vertices.mass[3] = 0; }), 'vertices.mass[3]', '0', '[1.176e-38, 3.402e+38]');
    expectSceneError(check((s) => { s.vertices.mass[5] = -1; }), 'vertices.mass[5]', '-1', '[1.176e-38');
  });
});

describe('materials', () => {
  it('at least one', () => {
    expectSceneError(check2d((s) => { s.materials = []; }), 'materials', '[]', 'at least 1');
  });

  it('stiffness > 0 (zero and negative refused), damping, mu, lambda, bending >= 0', () => {
    expectSceneError(check((s) => { s.materials[0].stiffness = 0; }), 'materials[0].stiffness', '0', '[1.176e-38, 3.402e+38]');
    expectSceneError(check((s) => { s.materials[1].stiffness = -10; }), 'materials[1].stiffness', '-10', '[1.176e-38');
    expectSceneError(check((s) => { s.materials[1].damping = -1; }), 'materials[1].damping', '-1', '[0, 3.402e+38]');
    for (const f of ['mu', 'lambda', 'bending']) {
      expectSceneError(check((s) => { s.materials[0][f] = -0.25; }), `materials[0].${f}`, '-0.25', '[0, 3.402e+38]');
    }
  });

  it('plastic.yieldAngle > 0', () => {
    expectSceneError(check((s) => { s.materials[0].plastic.yieldAngle = 0; }), 'materials[0].plastic.yieldAngle', '0', '[1.176e-38');
  });

  it('plastic.yieldAngle below 2 pi, in radians: 30 (degrees, by mistake) would never yield and is refused saying so', () => {
    const e = expectSceneError(check((s) => { s.materials[0].plastic.yieldAngle = 30; }), 'materials[0].plastic.yieldAngle', '30', '(0, 6.283) radians');
    expect(e.message).toContain('30 degrees is 0.5236');
    expect(() => check((s) => { s.materials[0].plastic.yieldAngle = 6.28; })()).not.toThrow();
  });
});

describe('springs', () => {
  it('pairs: whole pairs of vertex indices in range', () => {
    expectSceneError(check((s) => { s.springs.pairs.push(3); }), 'springs.pairs', '13 indices', 'an even number');
    const e = expectSceneError(check((s) => { s.springs.pairs[7] = 120; }), 'springs.pairs[7]', '120', 'integers in [0, 8]');
    expect(e.message).toContain('spring 3 names vertex 120, but there are 9 vertices');
    expectSceneError(check((s) => { s.springs.pairs[2] = -1; }), 'springs.pairs[2]', '-1', 'integers >= 0');
    expectSceneError(check((s) => { s.springs.pairs[2] = 0.5; }), 'springs.pairs[2]', '0.5', 'an integer');
  });

  it('two different vertices', () => {
    const e = expectSceneError(check((s) => { s.springs.pairs[9] = 6; }), 'springs.pairs[8..9]', '[6, 6] (spring 4)', 'two different vertices');
    expect(e.message).toContain('joins a vertex to itself');
  });

  it('restLength: one per spring, each > 0; absent, endpoints apart', () => {
    expectSceneError(check2d((s) => { s.springs.restLength.pop(); }), 'springs.restLength', '[1, 1, 1, 1, 1.414', 'exactly 6 items (one per spring');
    expectSceneError(check2d((s) => { s.springs.restLength[2] = 0; }), 'springs.restLength[2]', '0', '[1.176e-38');
    const e = expectSceneError(check((s) => { s.vertices.x.splice(3 * 4, 3, 0, 1, 0.1); }), 'springs.pairs[4..5]', '[3, 4] (spring 2, initial length 0)',
      'springs.restLength > 0');
    expect(e.message).toContain('the two vertices coincide');
    // With rest lengths given, coincident endpoints are allowed (a spring that pushes them apart).
    expect(() => check2d((s) => { s.vertices.x[2] = 0; })()).not.toThrow();
  });

  it('material: one per spring, an index into materials', () => {
    expectSceneError(check((s) => { s.springs.material.push(0); }), 'springs.material', 'an array of 7 items', 'exactly 6 items');
    const e = expectSceneError(check((s) => { s.springs.material[5] = 2; }), 'springs.material[5]', '2', 'integers in [0, 1]');
    expect(e.message).toContain('spring 5 uses material 2, but there are 2 materials');
  });

  it('actuator: integers in [-1, channels)', () => {
    const e = expectSceneError(check((s) => { s.springs.actuator[3] = 1; }), 'springs.actuator[3]', '1', 'integers in [-1, 0] (-1: none; actuation.channels = 1)');
    expect(e.message).toContain('is not an actuation channel (spring 3)');
    expectSceneError(check((s) => { delete s.actuation; }), 'springs.actuator[0]', '0', '-1 only: the scene has no actuation');
    expectSceneError(check((s) => { s.springs.actuator[1] = -2; }), 'springs.actuator[1]', '-2', 'integers >= -1');
    expectSceneError(check((s) => { s.springs.actuator.pop(); }), 'springs.actuator', '[0, -1, -1, -1, -1]', 'exactly 6 items');
  });

  it('actuationStrength finite', () => {
    expectSceneError(check((s) => { s.springs.actuationStrength = NaN; }), 'springs.actuationStrength', 'NaN', 'a finite number');
  });

  it('actuation values keep an actuated rest length between 0 and 10 times its own', () => {
    expectSceneError(check((s) => { s.actuation.values[1] = 1e6; }), 'actuation.values[1]', '1000000',
      'values in (-5, 45] with springs.actuationStrength 0.2: rest lengths between 0 and 10 times the spring\'s own');
    expectSceneError(check((s) => { s.actuation.values[0] = -5; }), 'actuation.values[0]', '-5',
      'values in (-5, 45] with springs.actuationStrength 0.2: rest lengths between 0 and 10 times the spring\'s own');
    expectSceneError(check((s) => { s.springs.actuationStrength = 0.5; s.actuation.values[2] = -3; }), 'actuation.values[2]', '-3',
      'values in (-2, 18] with springs.actuationStrength 0.5: rest lengths between 0 and 10 times the spring\'s own');
  });

  it('vertex positions within 1e6 of the origin', () => {
    expectSceneError(check((s) => { s.vertices.x[4] = 1e30; }), 'vertices.x[4]', '1e+30', '|x| <= 1000000 (a rollout stops a vertex past 1e7 as a blow-up)');
  });
});

describe('triangles', () => {
  it('only in 3D', () => {
    const e = expectSceneError(check2d((s) => { s.triangles = { indices: [0, 1, 2], material: [0] }; }), 'triangles', '1 triangle',
      'no triangles in a 2D scene');
    expect(e.message).toContain('only for 3D scenes');
  });

  it('whole triangles of vertex indices in range, three distinct', () => {
    expectSceneError(check((s) => { s.triangles.indices.push(1, 2); }), 'triangles.indices', '26 indices', 'a multiple of 3');
    const e = expectSceneError(check((s) => { s.triangles.indices[10] = 9; }), 'triangles.indices[10]', '9', 'integers in [0, 8]');
    expect(e.message).toContain('triangle 3 names vertex 9, but there are 9 vertices');
    const d = expectSceneError(check((s) => { s.triangles.indices[5] = 0; }), 'triangles.indices[3..5]', '[0, 4, 0] (triangle 1)',
      'three distinct vertices');
    expect(d.message).toContain('repeats a vertex');
  });

  it('degenerate triangles, naming the triangle and its area', () => {
    // Vertex 4 moved onto the line from 0 to 8: triangle 0 (0, 1, 4) keeps an area, triangle 1 (0, 4, 3) too, ... (0, 4, 8) none.
    const e = expectSceneError(check((s) => { s.triangles.indices.splice(0, 3, 0, 4, 8); }), 'triangles.indices[0..2]',
      '[0, 4, 8] (triangle 0, area 0)', 'area > 1e-12 x longest edge^2');
    expect(e.message).toContain('is degenerate');
    // Nearly collinear: the area is below 1e-12 of the longest edge squared, not zero.
    // Vertex 4 lifted 2^-46 off the line from 3 to 5 (0.2 long): area 0.1 x 2^-46 = 1.42e-15 < 1e-12 x 0.04.
    expectSceneError(check((s) => { s.vertices.x[3 * 4 + 2] = 0.1 + 2 ** -46; s.triangles.indices.splice(0, 3, 3, 4, 5); }),
      'triangles.indices[0..2]', '[3, 4, 5] (triangle 0, area 1.421e-15)', 'area > 1e-12 x longest edge^2 = 4');
  });

  it('material: one per triangle, an index into materials', () => {
    expectSceneError(check((s) => { s.triangles.material.pop(); }), 'triangles.material', 'an array of 7 items', 'exactly 8 items (one per triangle');
    const e = expectSceneError(check((s) => { s.triangles.material[6] = 4; }), 'triangles.material[6]', '4', 'integers in [0, 1]');
    expect(e.message).toContain('triangle 6 uses material 4, but there are 2 materials');
  });

  it('an edge shared by more than two triangles where one bends, naming its vertices and the count', () => {
    // Edge 0-4 is already shared by triangles 0 and 1; a third triangle on it makes it non-manifold.
    const e = expectSceneError(check((s) => { s.triangles.indices.push(0, 4, 2); s.triangles.material.push(1); }), 'triangles.indices[0..2]',
      'edge 0-4 (shared by 3 triangles, triangle 0 among them)', 'at most 2 triangles per edge where a triangle bends (materials[0].bending = 0.01)');
    expect(e.message).toContain('non-manifold');
  });

  it('a triangle listed twice, in either winding, bending or not, naming both', () => {
    // triangle 0 is [0, 1, 4]
    for (const [copy, bending] of [[[0, 1, 4], 0.01], [[4, 1, 0], 0.01], [[1, 0, 4], 0]] as const) {
      const e = expectSceneError(check((s) => { s.triangles.indices.push(...copy); s.triangles.material.push(0); s.materials[0].bending = bending; s.materials[1].bending = bending; }),
        'triangles.indices[24..26]', `[${copy.join(', ')}] (triangle 8)`, 'each triangle once');
      expect(e.message).toContain('has the same corners as triangle 0 ([0, 1, 4]): a duplicate face');
    }
  });
});

describe('pinned and grippers', () => {
  it('pinned: vertices in range, no repeats', () => {
    const e = expectSceneError(check((s) => { s.pinned = [0, 12]; }), 'pinned[1]', '12', 'integers in [0, 8]');
    expect(e.message).toContain('names vertex 12, but there are 9 vertices');
    expectSceneError(check((s) => { s.pinned = [0, 3, 0]; }), 'pinned[2]', '0', 'each vertex at most once');
    expectSceneError(check((s) => { s.pinned = [1.5]; }), 'pinned[0]', '1.5', 'an integer');
  });

  it('gripper vertices: in range, not pinned, in one gripper, at least one', () => {
    expectSceneError(check((s) => { s.grippers[0].vertices = [2, 9]; }), 'grippers[0].vertices[1]', '9', 'integers in [0, 8]');
    const p = expectSceneError(check((s) => { s.grippers[0].vertices = [2, 0]; }), 'grippers[0].vertices[1]', '0', 'vertices that are not pinned');
    expect(p.message).toContain('is pinned (pinned[0])');
    const two = expectSceneError(check((s) => { s.grippers.push({ name: 'other', vertices: [5, 2], position: [[0, 1, 0]] }); }),
      'grippers[1].vertices[1]', '2', 'each vertex in at most one gripper');
    expect(two.message).toContain('is already held by grippers[0] "hand"');
    expectSceneError(check((s) => { s.grippers[0].vertices = [2, 2]; }), 'grippers[0].vertices[1]', '2', 'at most one gripper');
    expectSceneError(check((s) => { s.grippers[0].vertices = []; }), 'grippers[0].vertices', '[]', 'at least 1');
  });

  it('gripper position: rows of dim finite entries, 1 to steps rows', () => {
    expectSceneError(check((s) => { s.grippers[0].position[1] = [0, 1]; }), 'grippers[0].position[1]', '[0, 1]', 'exactly 3 items');
    expectSceneError(check((s) => { s.grippers[0].position = []; }), 'grippers[0].position', '[]', 'at least 1');
    expectSceneError(check((s) => { s.grippers[0].position[0][1] = NaN; }), 'grippers[0].position[0][1]', 'NaN', 'a finite number');
    expectSceneError(check((s) => { s.grippers[0].position = new Array(5).fill([0, 1, 0]); }), 'grippers[0].position', '5 rows', '1 to 4 rows (steps');
  });
});

describe('ground, colliders', () => {
  it('ground: friction and softness >= 0, height finite', () => {
    expectSceneError(check((s) => { s.ground.friction = -0.1; }), 'ground.friction', '-0.1', '[0, 3.402e+38]');
    expectSceneError(check((s) => { s.ground.softness = -1; }), 'ground.softness', '-1', '[0, 3.402e+38]');
    expectSceneError(check((s) => { s.ground.height = Infinity; }), 'ground.height', 'Infinity', 'a finite number');
  });

  it('free vertices start above the ground less its softness; pinned and gripped ones may start below', () => {
    // the shell's vertices lie at height 1; vertex 0 is pinned, vertex 2 gripped
    const e = expectSceneError(check((s) => { s.ground.height = 1.05; }), 'vertices.x[4]', '1 (vertex 1, axis y)', '>= 1.04 (the ground\'s height less its softness 0.01)');
    expect(e.message).toContain('starts 0.05 below the ground (ground.height = 1.05)');
    expect(check((s) => { s.ground.height = 1.005; })).not.toThrow();
    expect(check((s) => { s.ground.height = 1.05; s.pinned = [0, 1, 3, 4, 5, 6, 7, 8]; })).not.toThrow();
    expectSceneError(check2d((s) => { s.ground.height = 0.5; }), 'vertices.x[1]', '0 (vertex 0, axis y)', '>= 0.5');
  });

  it('a vertex that would cross the scene\'s extent in one step is refused, naming its speed and the bound', () => {
    // extent's largest side over dt bounds a vertex's speed; its springs would swing it at that amplitude, unreported
    const bound = (s: Untyped) => Math.max(...s.extent) / s.dt;
    let limit = 0;
    expect(check((s) => { limit = bound(s); s.vertices.v[3] = 0.99 * limit; })).not.toThrow();
    const e = expectSceneError(check((s) => { s.vertices.v[3] = 1.01 * limit; }), 'vertices.v[3..5]', '(vertex 1, speed', `speed <= max(extent) / dt = `);
    expect(e.message).toContain('crosses the scene\'s extent in one step');
    expectSceneError(check2d((s) => { s.vertices.v[0] = 1e9; }), 'vertices.v[0..1]', '[1000000000, 0] (vertex 0', 'speed <= max(extent) / dt');
  });

  it('a collider whose surface would cross the scene\'s extent in one step is refused, by its velocity or its spin', () => {
    // a fuzzed ball's velocity of 99999 (dt 1e-3, extent 1) threw a vertex past 1e8 in two steps
    const bound = (s: Untyped) => Math.max(...s.extent) / s.dt;
    let limit = 0;
    expect(check((s) => { limit = bound(s); s.colliders[0].velocity = [[0, 0, 0], [0, 0, -0.99 * limit]]; })).not.toThrow();
    const e = expectSceneError(check((s) => { s.colliders[0].velocity = [[0, 0, 0], [0, 0, -1.01 * limit]]; }), 'colliders[0].velocity[1]', '(speed ', 'speed <= max(extent) / dt = 2000');
    expect(e.message).toContain('moves the collider across the scene\'s extent in one step');
    // the ball's radius 0.1: at 1e5 rad/s its surface moves 10^4 per second, 5 extents per step
    expectSceneError(check((s) => { s.colliders[0].angularVelocity = [[0, 1e5, 0]]; }), 'colliders[0].angularVelocity[0]', '[0, 100000, 0] (rate 100000 rad/s)', 'rate <= (max(extent) / dt - |velocity|) / (|halfExtents| + radius) = 20000');
    expect(check((s) => { s.colliders[0].angularVelocity = [[0, 1e4, 0]]; })).not.toThrow();
  });

  it('free vertices start outside every collider (less colliderSoftness) at its first position', () => {
    // a ball of radius 0.1 centred on vertex 4 (0.1, 1, 0.1): its neighbours touch it, vertex 4 is 0.1 inside
    const e = expectSceneError(check((s) => { s.colliders[0].position = [[0.1, 1, 0.1]]; }), 'vertices.x[12..14]', '[0.1, 1, 0.1] (vertex 4)', 'outside the collider, or at most its softness 0.01 inside (colliderSoftness)');
    expect(e.message).toContain('starts 0.1 inside colliders[0] "ball" (a sphere, at its first position)');
    expect(check((s) => { s.colliders[0].position = [[0.1, 1, 0.1]]; s.colliderSoftness = 0.11; })).not.toThrow();
    expect(check((s) => { s.colliders[0].position = [[0.1, 1, 0.1]]; s.pinned = [0, 4]; })).not.toThrow();
  });

  it('a vertex placed exactly on a collider or the ground, rounding a hair inside, is accepted', () => {
    // vertex 4 at (0.1, 1, 0.1) on a ball of radius 0.1 at (0.1, 0.9, 0.1): 1 - 0.9 rounds to 2.8e-17 short
    expect(check((s) => { s.colliderSoftness = 0; s.colliders[0].position = [[0.1, 0.9, 0.1]]; })).not.toThrow();
    expect(check((s) => { s.ground.softness = 0; s.ground.height = 1 + 1e-9; })).not.toThrow();
    expectSceneError(check((s) => { s.colliderSoftness = 0; s.colliders[0].position = [[0.1, 0.901, 0.1]]; }), 'vertices.x[12..14]', '(vertex 4)', 'outside the collider');
    expectSceneError(check((s) => { s.ground.softness = 0; s.ground.height = 1.001; }), 'vertices.x[4]', '(vertex 1, axis y)', '>= 1.001');
  });

  it('at most 4 colliders, with the MPM checks of shape, size, friction, tracks and orientation', () => {
    expectSceneError(check((s) => { s.colliders = new Array(5).fill(s.colliders[0]); }), 'colliders', 'an array of 5 items', 'at most 4');
    expectSceneError(check((s) => { s.colliders[0].shape = 'torus'; }), 'colliders[0].shape', '"torus"', '"box", "sphere", "capsule"');
    expectSceneError(check((s) => { s.colliders[0].radius = 0; }), 'colliders[0].radius', '0', '> 0, for a sphere');
    expectSceneError(check((s) => { s.colliders[0].shape = 'box'; }), 'colliders[0].halfExtents', 'undefined', 'half extents > 0');
    expectSceneError(check((s) => { s.colliders[0].friction = -1; }), 'colliders[0].friction', '-1', '[0, 3.402e+38]');
    expectSceneError(check((s) => { s.colliders[0].position = [[0, 1]]; }), 'colliders[0].position[0]', '[0, 1]', 'exactly 3 items');
    expectSceneError(check((s) => { s.colliders[0].velocity = [[0, NaN, 0]]; }), 'colliders[0].velocity[0][1]', 'NaN', 'a finite number');
    expectSceneError(check((s) => { s.colliders[0].orientation = [[0, 0, 0, 0]]; }), 'colliders[0].orientation[0]', '[0, 0, 0, 0] (norm 0)',
      'a quaternion [x, y, z, w] of norm >= 0.001');
  });

  it('angularVelocity: rows of 3 finite numbers, as in MPM scenes', () => {
    expect(() => check((s) => { s.colliders[0].angularVelocity = [[0, 0, 0], [0, 1, 0]]; })()).not.toThrow();
    expectSceneError(check((s) => { s.colliders[0].angularVelocity = [[0, 1]]; }), 'colliders[0].angularVelocity[0]', '[0, 1]', 'exactly 3 items');
  });

  it('colliderSoftness >= 0', () => {
    expectSceneError(check((s) => { s.colliderSoftness = -0.01; }), 'colliderSoftness', '-0.01', '[0, 3.402e+38]');
  });
});

describe('selfContact', () => {
  it('thickness > 0 and at most the shortest rest edge, naming that edge and its length', () => {
    expectSceneError(check((s) => { s.selfContact.thickness = 0; }), 'selfContact.thickness', '0', '[1.176e-38');
    const e = expectSceneError(check((s) => { s.selfContact.thickness = 0.2; }), 'selfContact.thickness', '0.2',
      '<= 0.1 (the rest length 0.1 of spring 0, vertices 0-1)');
    expect(e.message).toContain('is more than the shortest rest edge');
    // A shorter triangle edge: vertex 4 moved towards vertex 8 (edge 8-4 of triangle 6 is 0.042 long).
    expectSceneError(check((s) => { s.vertices.x.splice(12, 3, 0.17, 1, 0.17); s.selfContact.thickness = 0.05; }), 'selfContact.thickness', '0.05',
      '(the rest length 0.04243 of triangle 6, edge 8-4)');
    // Given rest lengths count, not the initial distances.
    expectSceneError(check2d((s) => { s.springs.restLength[3] = 0.01; s.selfContact = { thickness: 0.02, stiffness: 1 }; }), 'selfContact.thickness',
      '0.02', 'rest length 0.01 of spring 3, vertices 3-0');
  });

  it('stiffness > 0', () => {
    expectSceneError(check((s) => { s.selfContact.stiffness = 0; }), 'selfContact.stiffness', '0', '[1.176e-38');
  });

  it('triangles and optimize.normalize: a non-boolean is told "true or false", not valibot\'s own words', () => {
    const e = expectSceneError(check((s) => { s.selfContact.triangles = 'yes'; }), 'selfContact.triangles', '"yes"', 'true or false');
    expect(e.message).toBe('scene.selfContact.triangles = "yes" has the wrong type: allowed true or false');
    expectSceneError(check((s) => { s.optimize = { iterations: 1, normalize: 1 }; }), 'optimize.normalize', '1', 'true or false');
  });

  it('triangles: only where the scene has triangles', () => {
    const e = expectSceneError(check2d((s) => { s.selfContact = { thickness: 0.02, stiffness: 1, triangles: true }; }), 'selfContact.triangles', 'true',
      'false or absent, or triangles in a 3D scene');
    expect(e.message).toContain('a 2D scene has none');
  });

  it('triangles: edges at most 6 thicknesses long, naming the longest', () => {
    const e = expectSceneError(check((s) => { s.selfContact = { thickness: 0.01, stiffness: 1, triangles: true }; }), 'selfContact.triangles', 'true',
      'a thickness of at least');
    expect(e.message).toContain('is more than 6 thicknesses');
  });
});

describe('actuation, loss, optimize', () => {
  it('channels an integer in [1, 64]; values a positive multiple of channels, finite', () => {
    expectSceneError(check((s) => { s.actuation.channels = 0; }), 'actuation.channels', '0', 'integers in [1, 64]');
    expectSceneError(check((s) => { s.actuation.channels = 65; }), 'actuation.channels', '65', 'integers in [1, 64]');
    expectSceneError(check((s) => { s.actuation.channels = 1.5; }), 'actuation.channels', '1.5', 'an integer');
    expectSceneError(check((s) => { s.actuation = { channels: 3, values: [0, 1, 2, 3] }; }), 'actuation.values', '[0, 1, 2, 3]',
      'a positive multiple of actuation.channels = 3');
    expectSceneError(check((s) => { s.actuation.values = []; }), 'actuation.values', '[]', 'at least 1');
    expectSceneError(check((s) => { s.actuation.values[2] = NaN; }), 'actuation.values[2]', 'NaN', 'a finite number');
  });

  it('effort and smoothness read a per-step control block the scene has, checked before any GPU work', () => {
    expect(check((s) => { s.loss = { kind: 'weighted-sum', terms: [{ weight: 1, loss: s.loss }, { weight: 0.1, loss: { kind: 'smoothness', block: 'grippers[0].position' } }] }; })).not.toThrow();
    expect(check((s) => { s.loss = { kind: 'effort' }; })).not.toThrow();
    let e = expectSceneError(check((s) => { s.loss = { kind: 'effort', block: 'grippers[3].position' }; }), 'loss.block', '"grippers[3].position"',
      'one of "actuation", "colliders[0].position"');
    expect(e.message).toContain('is not a per-step control block of this scene');
    e = expectSceneError(check((s) => { delete s.actuation; s.springs.actuator.fill(-1); delete s.optimize; delete s.grippers; delete s.colliders; s.loss = { kind: 'smoothness' }; }),
      'loss.block', '"actuation" (the default)', 'none: the scene has no actuation, collider or gripper tracks');
  });

  it('loss target: one entry per axis', () => {
    expectSceneError(check((s) => { s.loss.target = [0, 1]; }), 'loss.target', '[0, 1]', 'exactly 3 items');
  });

  it('optimize.trackBounds: one bound per axis, each min at most its max', () => {
    expect(check((s) => { s.optimize.trackBounds = { min: [0, 0, 0], max: [1, 1, 1] }; })).not.toThrow();
    expectSceneError(check((s) => { s.optimize.trackBounds = { min: [0, 0], max: [1, 1] }; }), 'optimize.trackBounds.min', '[0, 0]', 'exactly 3 items');
    expectSceneError(check((s) => { s.optimize.trackBounds = { min: [0, 1, 0], max: [1, 0.5, 1] }; }), 'optimize.trackBounds.max[1]', '0.5', '>= 1 (optimize.trackBounds.min[1])');
  });

  it('optimize.params: only the names springParamNames gives', () => {
    const e = expectSceneError(check((s) => { s.optimize.params = ['actuation', 'groups[0].E']; }), 'optimize.params[1]', '"groups[0].E"',
      'one of initialVelocity, materials[0].mu');
    expect(e.message).toContain('is not a parameter of this scene');
    expectSceneError(check((s) => { s.optimize.params = ['materials[2].mu']; }), 'optimize.params[0]', '"materials[2].mu"', 'materials[1].damping');
    expectSceneError(check((s) => { delete s.actuation; s.springs.actuator.fill(-1); s.optimize.params = ['actuation']; }),
      'optimize.params[0]', '"actuation"', 'grippers[0].position');
  });
});

describe('springParamNames', () => {
  it('lists initial velocity, the material fields in use, actuation, collider and gripper tracks', () => {
    // fields no element uses are not parameters: the shell's triangles use material 0, its springs material 1
    expect(springParamNames(tinyShellScene())).toEqual([
      'initialVelocity',
      'materials[0].mu', 'materials[0].lambda', 'materials[0].bending',
      'materials[1].stiffness', 'materials[1].damping',
      'actuation', 'actuation.periodic', 'colliders[0].position', 'colliders[0].velocity', 'colliders[0].orientation', 'colliders[0].angularVelocity', 'colliders[0].waypoints', 'grippers[0].position', 'grippers[0].waypoints',
    ]);
    const bare: SpringScene = { ...tinySpringScene(), actuation: undefined };
    expect(springParamNames(bare)).toEqual(['initialVelocity', 'materials[0].stiffness', 'materials[0].damping']);
  });
});

describe('sizes, from array lengths before any per-element loop', () => {
  it('too many vertices: limits.maxParticles, or 4,000,000 / batch', () => {
    expectSceneError(check((s) => { s.vertices.x = 'not even read'; }, { limits: { maxParticles: 8 } }), 'vertices', '9 vertices',
      'at most 8 vertices (limits.maxParticles)');
    // A holey array: its length is all that is read.
    const n = 1_000_001;
    expectSceneError(check((s) => { s.vertices.mass = new Array(n); }, { batch: 4 }), 'vertices', `${n} vertices`,
      'at most 1000000 vertices (4000000 / batch 4)');
  });

  it('too many springs: limits.maxSprings, or 16,000,000', () => {
    expectSceneError(check((s) => { s.springs.pairs[0] = 999; }, { limits: { maxSprings: 5 } }), 'springs', '6 springs', 'at most 5 springs (limits.maxSprings)');
    expectSceneError(check((s) => { s.springs.pairs = new Array(2 * 16_000_001); }), 'springs', '16000001 springs', 'at most 16000000 springs');
  });

  it('a buffer larger than the device allows, naming the count', () => {
    // 9 vertices x 32 bytes x batch 4 = 1152 bytes of vertex state.
    expectSceneError(check(() => {}, { limits: { maxStorageBufferBindingSize: 1000 }, batch: 4 }), 'vertices', '9 vertices (x batch 4)',
      '<= 1000 bytes (device limit maxStorageBufferBindingSize)');
    // (6 springs + 3 x 8 triangles) x 16 bytes x batch 3 = 1440 bytes of elements; 864 bytes of vertex state pass.
    const e = expectSceneError(check(() => {}, { limits: { maxBufferSize: 1200 }, batch: 3 }), 'triangles', '6 springs and 8 triangles (x batch 3)',
      '<= 1200 bytes (device limit maxBufferSize)');
    expect(e.message).toContain('needs an element buffer of 1440 bytes');
    // Without device limits, 128 MiB: 4,194,305 vertices x 32 bytes is over it by one vertex.
    expectSceneError(check((s) => { s.vertices.mass = new Array(DEFAULT_MAX_BUFFER_BYTES / 32 + 1); }, { limits: { maxParticles: Infinity } }),
      'vertices', '4194305 vertices (x batch 1)', `<= ${DEFAULT_MAX_BUFFER_BYTES} bytes (the default 128 MiB)`);
  });

  it('before the schema and the per-element rules', () => {
    // A bad vertex index and a bad stiffness, but the size is what is reported.
    expectSceneError(check((s) => { s.springs.pairs[0] = 999; s.materials[0].stiffness = -1; }, { limits: { maxParticles: 4 } }), 'vertices',
      '9 vertices', 'at most 4');
  });
});
