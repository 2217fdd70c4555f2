// A square cloth lying on the floor, to be folded in half (ThinShellLab's folding task): two grippers
// hold the corners of one edge, and the task is to carry them onto the corners of the opposite
// edge. Self-contact keeps the two layers apart. The registered scene's grippers only lift their
// corners and hold them: the optimizer finds the fold, as offsets of each gripper's track at a few
// waypoints ('grippers[k].waypoints'), the loss the mean squared distance of each grasped corner to
// its partner ('match-pairs'). `build({ track: 'fold' })` carries the corners along hand-made half
// circles instead, the fold the physics tests check.
import type { SpringScene } from '../src/springs/scene';
import type { BuildOptions, ResolutionSpec } from './index';
import { clothGrid, clothVertex } from './spring-builders';

export const description = 'a 24 x 24 cloth to fold in half: optimize two grippers\' tracks to carry its corners onto the opposite ones (3D thin shell, self-contact)';

/** Quads per side (the page's resolution knob); at most 29: the contact distance must stay below an edge (0.6 / 30 is 0.02 exactly, refused). */
export const resolution: ResolutionSpec = { label: 'quads per side', default: 24, min: 8, max: 29 };
const SIZE = 0.6;
const DT = 1e-3;
const STEPS = 900;
const MOVE = 600; // steps of the hand-made fold; the grippers hold after
const LIFT = 100; // steps of the registered scene's lift
const FLOOR = 0.05;
// Contact distance between layers: a vertex over a cell's middle still has neighbours within it
// (cell diagonal / 2 = 0.018), and a corner folded onto its partner lies 0.02 above it, inside the
// task's 5% of the cloth size (0.03).
const THICK = 0.02;
// The cloth starts at rest on the floor, sunk by about its resting penetration under the soft
// contact (sqrt(2 softness g) dt = 2e-4), not dropped from above: a drop lands all vertices at once
// a few steps in, and a gradient check over those steps straddles the landing.
const SINK = 1e-4;
/** Solved when each grasped corner lies within 5% of the cloth size of its partner: the mean of two squared distances at most 0.03^2 / 2. */
const THRESHOLD = (0.05 * SIZE) ** 2 / 2;

export interface FoldOptions extends BuildOptions {
  /** 'lift' (default): the grippers lift their corners and hold, the optimizer's start; 'fold': hand-made half circles onto the partners. */
  track?: 'lift' | 'fold';
}

export function build(o: FoldOptions = {}): SpringScene {
  const origin: [number, number, number] = [0.2, FLOOR - SINK, 0.2];
  const N = o.resolution ?? resolution.default;
  const mesh = clothGrid({ nx: N, ny: N, size: [SIZE, SIZE], origin, plane: 'xz', density: 0.2 });
  const corners = [clothVertex(N, 0, 0), clothVertex(N, N, 0)];
  const partners = [clothVertex(N, 0, N), clothVertex(N, N, N)];
  const x = mesh.vertices.x;
  const track = (v: number) => {
    const [x0, y0, z0] = [x[3 * v], x[3 * v + 1], x[3 * v + 2]];
    const R = SIZE / 2, zc = z0 + R;
    const rows: number[][] = [];
    for (let t = 0; t < STEPS; t++) {
      if (o.track === 'fold') {
        const s = Math.min(1, (t + 1) / MOVE);
        const phi = Math.PI * (0.5 - 0.5 * Math.cos(Math.PI * s)); // eased
        rows.push([x0, y0 + R * Math.sin(phi) + 1.5 * THICK * s, zc - R * Math.cos(phi)]);
      } else {
        rows.push([x0, y0 + 2 * THICK * Math.min(1, (t + 1) / LIFT), z0]);
      }
    }
    return rows;
  };
  return {
    kind: 'shell', name: 'cloth-fold-3d', description, dim: 3, dt: DT, steps: STEPS, gravity: [0, -9.8, 0], damping: 1, extent: [1, 0.6, 1],
    materials: [{ name: 'cotton', stiffness: 1, damping: 0, mu: 10, lambda: 5, bending: 5e-5 }],
    vertices: mesh.vertices,
    triangles: mesh.triangles,
    grippers: corners.map((v, k) => ({ name: `hand ${k}`, vertices: [v], position: track(v) })),
    ground: { height: FLOOR, friction: 0.6, softness: 0.002 },
    selfContact: { thickness: THICK, stiffness: 20 },
    loss: { kind: 'match-pairs', pairs: corners.map((c, k) => [c, partners[k]]) },
    // Gradient descent rather than Adam: the final knots get the loss's direct pull, the others only
    // what the cloth passes back, and Adam's per-entry scaling would move those as far as the final
    // ones. Clipped steps (at most 0.1 lr a step) ride over contact spikes in the gradient; the knots
    // stay above the floor.
    optimize: {
      params: ['grippers[0].waypoints', 'grippers[1].waypoints'], waypoints: 4, optimizer: 'gd', refine: 'gd', learningRate: 0.5, clip: 0.1, iterations: 30, patience: 3, threshold: THRESHOLD,
      trackBounds: { min: [0, FLOOR + THICK / 2, 0], max: [1, 0.6, 1] },
    },
  };
}
