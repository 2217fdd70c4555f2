// A square cloth lying on the floor, folded in half: two grippers take the corners of one edge and
// carry them along half circles onto the opposite corners. Self-contact keeps the two layers apart.
// The gripper tracks are the optimizable inputs (manipulation); the loss asks the grasped half's
// centre of mass to lie over the other half.
import type { SpringScene } from '../src/springs/scene';
import { clothGrid, clothVertex } from './spring-builders';

export const description = 'a 16 x 16 cloth folded in half by two grippers, with self-contact (3D thin shell)';

const N = 16;
const SIZE = 0.6;
const DT = 1e-3;
const STEPS = 1200;
const MOVE = 800; // steps of the fold; the grippers hold after
const FLOOR = 0.05;
const THICK = 0.03;
// The cloth starts at rest on the floor, sunk by about its resting penetration under the soft
// contact (sqrt(2 softness g) dt = 2e-4), not dropped from above: a drop lands all vertices at once
// a few steps in, and a gradient check over those steps straddles the landing.
const SINK = 1e-4;

export function build(): SpringScene {
  const origin: [number, number, number] = [0.2, FLOOR - SINK, 0.2];
  const mesh = clothGrid({ nx: N, ny: N, size: [SIZE, SIZE], origin, plane: 'xz', density: 0.2 });
  const corners = [clothVertex(N, 0, 0), clothVertex(N, N, 0)];
  const x = mesh.vertices.x;
  const track = (v: number) => {
    const [x0, y0, z0] = [x[3 * v], x[3 * v + 1], x[3 * v + 2]];
    const R = SIZE / 2, zc = z0 + R;
    const rows: number[][] = [];
    for (let t = 0; t < STEPS; t++) {
      const s = Math.min(1, (t + 1) / MOVE);
      const phi = Math.PI * (0.5 - 0.5 * Math.cos(Math.PI * s)); // eased
      rows.push([x0, y0 + R * Math.sin(phi) + 1.5 * THICK * s, zc - R * Math.cos(phi)]);
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
    loss: { kind: 'com-target', target: [origin[0] + SIZE / 2, FLOOR + THICK, origin[2] + SIZE * 0.6] },
    optimize: { params: ['grippers[0].position', 'grippers[1].position'], learningRate: 0.002, iterations: 20 },
  };
}
