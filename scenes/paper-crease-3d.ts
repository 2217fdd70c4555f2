// A paper strip folded in half and creased: its left edge is held down, a gripper takes the right
// edge and carries it over onto the left one. Paper resists bending far more than cloth, and its
// hinges are plastic: where the fold bends them past the yield angle their rest angle follows, so
// the strip keeps a crease (ThinShellLab's paper). Self-contact keeps the layers apart.
import type { SpringScene } from '../src/springs/scene';
import type { BuildOptions, ResolutionSpec } from './index';
import { clothGrid, clothVertex } from './spring-builders';

export const description = 'a paper strip folded over and creased by a gripper: plastic bending (3D thin shell)';

/** Quads along the strip (the page's resolution knob); a quarter as many across it. At most 29: from 30 an edge is shorter than the self-contact thickness. */
export const resolution: ResolutionSpec = { label: 'quads along the strip', default: 24, min: 8, max: 29 };
const LEN = 0.6;
const WIDTH = 0.15;
const DT = 5e-4;
const STEPS = 2000;
const MOVE = 1500;
const FLOOR = 0.05;
const THICK = 0.02;

export function build(o: BuildOptions = {}): SpringScene {
  const NX = o.resolution ?? resolution.default;
  const NZ = Math.round(NX / 4);
  const origin: [number, number, number] = [0.2, FLOOR + 0.002, 0.4];
  const mesh = clothGrid({ nx: NX, ny: NZ, size: [LEN, WIDTH], origin, plane: 'xz', density: 0.8 });
  const edge = (i: number) => Array.from({ length: NZ + 1 }, (_, j) => clothVertex(NX, i, j));
  const x = mesh.vertices.x;
  const held = edge(NX);
  const R = LEN / 2, xc = origin[0] + R, y0 = x[3 * held[0] + 1];
  const rows: number[][] = [];
  for (let t = 0; t < STEPS; t++) {
    const s = Math.min(1, (t + 1) / MOVE);
    const phi = Math.PI * (0.5 - 0.5 * Math.cos(Math.PI * s));
    // the gripper's reference point is the edge's first vertex; the others keep their offsets
    rows.push([xc + R * Math.cos(phi), y0 + R * Math.sin(phi) + 2 * THICK * s, x[3 * held[0] + 2]]);
  }
  return {
    kind: 'shell', name: 'paper-crease-3d', description, dim: 3, dt: DT, steps: STEPS, gravity: [0, -9.8, 0], damping: 1, extent: [1, 0.5, 1],
    materials: [{ name: 'paper', stiffness: 1, damping: 0, mu: 200, lambda: 100, bending: 2e-3, plastic: { yieldAngle: 0.15 } }],
    vertices: mesh.vertices,
    triangles: mesh.triangles,
    pinned: edge(0),
    grippers: [{ name: 'hand', vertices: held, position: rows }],
    ground: { height: FLOOR, friction: 0.6, softness: 0.002 },
    selfContact: { thickness: THICK, stiffness: 50 },
    // the task: lay the folded strip 3 cm further along than the track above does (whose fold
    // puts it at LEN / 4, where the loss started solved and every step on the track made it worse),
    // through the gripper's waypoints, sampled and then refined by gradients (hybrid)
    loss: { kind: 'com-target', target: [origin[0] + LEN / 4 + 0.03, FLOOR + THICK, origin[2] + WIDTH / 2] },
    optimize: { params: ['grippers[0].waypoints'], optimizer: 'hybrid', population: 12, sigma: 0.02, learningRate: 0.002, iterations: 10 },
  };
}
