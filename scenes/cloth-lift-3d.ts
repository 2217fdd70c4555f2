// A cloth lying on the floor beside a ledge; one gripper takes the middle of its near edge, lifts
// it, carries it over the ledge and lays it down there, the cloth dragging after it over the edge.
// The loss asks the cloth's centre of mass onto the ledge; the gripper's track (through a few
// waypoints) is what to optimize, by sampling: dragged over the ledge's edge with friction, the
// loss is rough at the scale of any step, and gradient steps on the track made it worse from the
// first (|grad| 1e2 to 1e11 from one iteration to the next); cem's 12 tracks a round find 86% lower.
import type { SpringScene } from '../src/springs/scene';
import type { BuildOptions, ResolutionSpec } from './index';
import { clothGrid, clothVertex } from './spring-builders';

export const description = 'a 16 x 16 cloth lifted by one gripper onto a ledge (3D thin shell and a box collider)';

/** Quads per side (the page's resolution knob); at most 26: finer, its edges are too short for dt's stability limit. */
export const resolution: ResolutionSpec = { label: 'quads per side', default: 16, min: 8, max: 26 };
const SIZE = 0.4;
const DT = 1e-3;
const STEPS = 1500;
const FLOOR = 0.05;

export function build(o: BuildOptions = {}): SpringScene {
  const N = o.resolution ?? resolution.default;
  const mid = Math.floor(N / 2);
  const mesh = clothGrid({ nx: N, ny: N, size: [SIZE, SIZE], origin: [0.1, FLOOR + 0.002, 0.3], plane: 'xz', density: 0.2 });
  const grasp = [clothVertex(N, N, mid - 1), clothVertex(N, N, mid), clothVertex(N, N, mid + 1)];
  const x = mesh.vertices.x;
  const start = [x[3 * grasp[1]], x[3 * grasp[1] + 1], x[3 * grasp[1] + 2]];
  // waypoints: up, over the ledge, down onto it; linear in between, then held
  const way = [start, [start[0], 0.45, start[2]], [1.05, 0.45, start[2]], [1.05, 0.27, start[2]]];
  const legs = [400, 500, 300];
  const rows: number[][] = [];
  for (let k = 0; k < legs.length; k++) {
    for (let t = 0; t < legs[k]; t++) {
      const s = (t + 1) / legs[k];
      rows.push(way[k].map((a, i) => a + (way[k + 1][i] - a) * s));
    }
  }
  return {
    kind: 'shell', name: 'cloth-lift-3d', description, dim: 3, dt: DT, steps: STEPS, gravity: [0, -9.8, 0], damping: 1, extent: [1.4, 0.6, 1],
    materials: [{ name: 'cotton', stiffness: 1, damping: 0, mu: 10, lambda: 5, bending: 5e-5 }],
    vertices: mesh.vertices,
    triangles: mesh.triangles,
    grippers: [{ name: 'hand', vertices: grasp, position: rows }],
    ground: { height: FLOOR, friction: 0.6, softness: 0.002 },
    colliders: [{ name: 'ledge', shape: 'box', halfExtents: [0.2, 0.1, 0.5], radius: 0.005, friction: 0.6, position: [[1.05, 0.15, 0.5]], velocity: [[0, 0, 0]] }],
    colliderSoftness: 0.002,
    loss: { kind: 'com-target', target: [0.95, 0.26, 0.5] },
    optimize: { params: ['grippers[0].waypoints'], optimizer: 'cem', population: 12, sigma: 0.02, learningRate: 0.002, iterations: 10 },
  };
}
