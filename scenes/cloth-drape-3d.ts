// A square cloth (32 x 32 quads) dropped flat onto a sphere: it drapes over it and its corners
// fall towards the floor. Membrane StVK, light bending, soft contact with the sphere and the floor.
import type { SpringScene } from '../src/springs/scene';
import type { BuildOptions, ResolutionSpec } from './index';
import { clothGrid } from './spring-builders';

export const description = 'a 32 x 32 cloth dropped onto a sphere, draping over it (3D thin shell)';

/** Quads per side (the page's resolution knob). */
export const resolution: ResolutionSpec = { label: 'quads per side', default: 32, min: 8, max: 48 };

export function build(o: BuildOptions = {}): SpringScene {
  const n = o.resolution ?? resolution.default;
  const mesh = clothGrid({ nx: n, ny: n, size: [1, 1], origin: [0.1, 0.8, 0.1], plane: 'xz', density: 0.2 });
  return {
    kind: 'shell', name: 'cloth-drape-3d', description, dim: 3, dt: 5e-4, steps: 1600, gravity: [0, -9.8, 0], damping: 0.5, extent: [1.2, 1, 1.2],
    materials: [{ name: 'cotton', stiffness: 1, damping: 0, mu: 20, lambda: 10, bending: 2e-5 }],
    vertices: { ...mesh.vertices },
    triangles: mesh.triangles,
    ground: { height: 0.05, friction: 0.5, softness: 0.002 },
    colliders: [{ name: 'ball', shape: 'sphere', radius: 0.25, friction: 0.3, position: [[0.6, 0.4, 0.6]], velocity: [[0, 0, 0]] }],
    colliderSoftness: 0.002,
    loss: { kind: 'com-target', target: [0.6, 0.5, 0.6] },
    // the ball's track through a few waypoints, sampled: adam on its per-step position track started
    // at |grad| 1e6, and its first step blew the cloth up (the drape's contact is rough at any step)
    optimize: { params: ['colliders[0].waypoints'], optimizer: 'cem', population: 8, sigma: 0.02, learningRate: 0.01, iterations: 10 },
  };
}
