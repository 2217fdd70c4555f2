// Shared by the spring scene tests: small valid spring and shell scenes that use every field of
// the format (src/springs/scene.ts).
import type { SpringScene } from '../../src/springs/scene';

/** A 3x3-vertex cloth square at height 1 (8 triangles), six springs along x, and every optional field. */
export function tinyShellScene(): SpringScene {
  const x: number[] = [];
  for (let j = 0; j < 3; j++) for (let i = 0; i < 3; i++) x.push(0.1 * i, 1, 0.1 * j);
  const indices: number[] = [];
  for (let j = 0; j < 2; j++) {
    for (let i = 0; i < 2; i++) {
      const a = 3 * j + i;
      indices.push(a, a + 1, a + 4, a, a + 4, a + 3);
    }
  }
  return {
    kind: 'shell',
    name: 'tiny-shell',
    description: 'test scene',
    dim: 3,
    dt: 1e-3,
    steps: 4,
    gravity: [0, -9.8, 0],
    damping: 0.1,
    extent: [1, 2, 1],
    materials: [
      { name: 'cloth', stiffness: 100, damping: 0.1, mu: 10, lambda: 10, bending: 0.01, plastic: { yieldAngle: 0.5 } },
      { name: 'thread', stiffness: 50, damping: 0 },
    ],
    vertices: { x, v: new Array(27).fill(0), mass: new Array(9).fill(0.01) },
    springs: {
      pairs: [0, 1, 1, 2, 3, 4, 4, 5, 6, 7, 7, 8],
      material: [1, 1, 1, 1, 1, 1],
      actuator: [0, -1, -1, -1, -1, -1],
      actuationStrength: 0.2,
    },
    triangles: { indices, material: new Array(8).fill(0) },
    pinned: [0],
    grippers: [{ name: 'hand', vertices: [2], position: [[0.2, 1, 0], [0.2, 1.01, 0]] }],
    ground: { height: 0, friction: 0.5, softness: 0.01 },
    colliders: [{ name: 'ball', shape: 'sphere', radius: 0.1, friction: 0.2, position: [[0.1, 0.5, 0.1]], velocity: [[0, 0, 0]] }],
    selfContact: { thickness: 0.01, stiffness: 100 },
    actuation: { channels: 1, values: [0, 0.5, 1, 0.5] },
    colliderSoftness: 0.01,
    loss: { kind: 'com-target', target: [0.1, 0.5, 0.1] },
    optimize: { params: ['materials[1].stiffness', 'initialVelocity'], learningRate: 0.1, iterations: 3 },
  };
}

/** A 2D unit square of springs (four sides, two diagonals with explicit rest lengths), one actuated. */
export function tinySpringScene(): SpringScene {
  return {
    kind: 'springs',
    name: 'tiny-springs',
    dim: 2,
    dt: 1e-3,
    steps: 10,
    gravity: [0, -9.8],
    extent: [2, 2],
    materials: [{ name: 'rubber', stiffness: 1000, damping: 1 }],
    vertices: { x: [0, 0, 1, 0, 1, 1, 0, 1], v: [0, 0, 0, 0, 0, 0, 0, 0], mass: [1, 1, 1, 1] },
    springs: {
      pairs: [0, 1, 1, 2, 2, 3, 3, 0, 0, 2, 1, 3],
      restLength: [1, 1, 1, 1, Math.SQRT2, Math.SQRT2],
      material: [0, 0, 0, 0, 0, 0],
      actuator: [0, -1, -1, -1, -1, -1],
    },
    ground: { height: 0, friction: 1, softness: 0 },
    actuation: { channels: 1, values: [0, 1] },
  };
}
