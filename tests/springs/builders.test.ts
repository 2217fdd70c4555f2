// The spring-scene builders place the vertices, springs and triangles they say, each spring once,
// with masses that add up; the OBJ reader reads what OBJ files hold and names the line it cannot.
import { describe, expect, it } from 'vitest';
import {
  clothCorners, clothGrid, clothVertex, lumpedMasses, robotFromCells2d, robotFromVoxels3d, triangleMesh, type LatticeRobot,
} from '../../scenes/spring-builders';
import { ObjError, parseObj } from '../../src/springs/obj';
import { validateSpringScene } from '../../src/springs/validate';
import type { SpringScene } from '../../src/springs/scene';

function springKeys(r: LatticeRobot): string[] {
  const p = r.springs.pairs;
  return Array.from({ length: p.length / 2 }, (_, s) => `${Math.min(p[2 * s], p[2 * s + 1])}-${Math.max(p[2 * s], p[2 * s + 1])}`);
}

function lengths(x: number[], dim: number, pairs: number[]): number[] {
  return Array.from({ length: pairs.length / 2 }, (_, s) =>
    Math.hypot(...Array.from({ length: dim }, (_, a) => x[pairs[2 * s] * dim + a] - x[pairs[2 * s + 1] * dim + a])));
}

/** A minimal valid scene around some parts, for validateSpringScene. */
function sceneOf(dim: 2 | 3, parts: Pick<SpringScene, 'vertices' | 'springs' | 'triangles'>, channels = 0): SpringScene {
  return {
    kind: dim === 2 ? 'springs' : 'shell', name: 'built', dim, dt: 1e-3, steps: 2,
    gravity: dim === 2 ? [0, -9.8] : [0, -9.8, 0], extent: new Array(dim).fill(1),
    materials: [{ name: 'm', stiffness: 100, damping: 0, bending: 0.1 }],
    vertices: parts.vertices, springs: parts.springs, triangles: parts.triangles,
    ...(channels > 0 ? { actuation: { channels, values: new Array(channels).fill(0) } } : {}),
  };
}

describe('robotFromCells2d', () => {
  it('a 2 x 1 block: 6 vertices, 11 springs (7 edges, the shared one once, and 4 diagonals)', () => {
    const r = robotFromCells2d([[0, 0], [1, 0]], { cell: 0.1, origin: [0.2, 0.3] });
    expect(r.vertices.mass).toEqual([1, 1, 1, 1, 1, 1]);
    expect(r.springs.pairs.length / 2).toBe(11);
    expect(new Set(springKeys(r)).size).toBe(11);
    expect(r.vertices.x.slice(0, 8)).toEqual([0.2, 0.3, 0.30000000000000004, 0.3, 0.2, 0.4, 0.30000000000000004, 0.4]);
    expect(r.cellVertices).toEqual([[0, 1, 2, 3], [1, 4, 3, 5]]);
    expect(r.springs.actuator).toBeUndefined();
    const L = lengths(r.vertices.x, 2, r.springs.pairs);
    expect(L.filter((l) => Math.abs(l - 0.1) < 1e-12)).toHaveLength(7);
    expect(L.filter((l) => Math.abs(l - 0.1 * Math.SQRT2) < 1e-12)).toHaveLength(4);
  });

  it('an a x b block: (a + 1)(b + 1) vertices, a(b + 1) + b(a + 1) edges and 2ab diagonals, each once', () => {
    const cells: [number, number][] = [];
    for (let j = 0; j < 2; j++) for (let i = 0; i < 3; i++) cells.push([i, j]);
    const r = robotFromCells2d(cells, { cell: 1, origin: [0, 0], mass: 0.5, material: 2 });
    expect(r.vertices.mass).toEqual(new Array(12).fill(0.5));
    expect(r.springs.pairs.length / 2).toBe(9 + 8 + 12);
    expect(new Set(springKeys(r)).size).toBe(29);
    expect(new Set(r.springs.material)).toEqual(new Set([2]));
  });

  it('actuated cells: their springs carry the channel, a shared edge the actuated cell\'s', () => {
    const r = robotFromCells2d([[0, 0], [1, 0], [2, 0]], { cell: 0.1, origin: [0, 0], actuated: [[1], [2]] });
    const act = r.springs.actuator!;
    expect(act.filter((a) => a === -1)).toHaveLength(5); // cell 0 alone
    expect(act.filter((a) => a === 0)).toHaveLength(6); // cell 1, with the edge it shares with cell 0
    expect(act.filter((a) => a === 1)).toHaveLength(5); // cell 2; the edge shared with cell 1 stays channel 0
    expect(() => validateSpringScene(sceneOf(2, r, 2))).not.toThrow();
  });

  it('refuses no cells, a cell size, origin or mass that would collapse or misplace the robot, naming the option', () => {
    expect(() => robotFromCells2d([], { cell: 0.1, origin: [0, 0] })).toThrow('robotFromCells2d: cells = []: expected at least one cell');
    expect(() => robotFromCells2d([[0, 0]], { cell: 0, origin: [0, 0] })).toThrow('robotFromCells2d: cell = 0: expected a finite edge length > 0');
    expect(() => robotFromCells2d([[0, 0]], { cell: 0.1, origin: [0] as never })).toThrow('robotFromCells2d: origin = [0]: expected 2 finite coordinates');
    expect(() => robotFromVoxels3d([[0, 0, 0]], { cell: 0.1, origin: [0, 0, 0], mass: -1 })).toThrow('robotFromVoxels3d: mass = -1: expected a finite mass > 0 per vertex');
  });

  it('refuses a cell twice, a cell in two channels, or an actuated cell that does not exist', () => {
    expect(() => robotFromCells2d([[0, 0], [0, 0]], { cell: 1, origin: [0, 0] })).toThrow('cell 1 = [0,0] appears twice');
    expect(() => robotFromCells2d([[0, 0]], { cell: 1, origin: [0, 0], actuated: [[0], [0]] })).toThrow('cell 0 is in channels 0 and 1');
    expect(() => robotFromCells2d([[0, 0]], { cell: 1, origin: [0, 0], actuated: [[3]] })).toThrow('actuated[0] names cell 3, but there are 1 cells');
    expect(() => robotFromCells2d([[0, 0.5]], { cell: 1, origin: [0, 0] })).toThrow('expected 2 integer coordinates');
  });
});

describe('robotFromVoxels3d', () => {
  it('one voxel: 8 vertices, 28 springs (12 edges, 12 face and 4 body diagonals)', () => {
    const r = robotFromVoxels3d([[0, 0, 0]], { cell: 1, origin: [0, 0, 0] });
    expect(r.vertices.mass).toHaveLength(8);
    const L = lengths(r.vertices.x, 3, r.springs.pairs).map((l) => Math.round(l * l));
    expect([1, 2, 3].map((d) => L.filter((l) => l === d).length)).toEqual([12, 12, 4]);
  });

  it('two voxels side by side share 4 vertices, 4 edges and 2 face diagonals: 12 vertices, 50 springs', () => {
    const r = robotFromVoxels3d([[0, 0, 0], [1, 0, 0]], { cell: 0.1, origin: [0, 0, 0] });
    expect(r.vertices.mass).toHaveLength(12);
    expect(r.springs.pairs.length / 2).toBe(50);
    expect(new Set(springKeys(r)).size).toBe(50);
  });

  it('a 2 x 2 x 2 block: 27 vertices, 54 edges, 72 face diagonals, 32 body diagonals, each once; actuated voxels', () => {
    const voxels: [number, number, number][] = [];
    for (let k = 0; k < 2; k++) for (let j = 0; j < 2; j++) for (let i = 0; i < 2; i++) voxels.push([i, j, k]);
    const r = robotFromVoxels3d(voxels, { cell: 0.05, origin: [0.5, 0.1, 0.5], actuated: [[0, 7]] });
    expect(r.vertices.mass).toHaveLength(27);
    expect(r.springs.pairs.length / 2).toBe(158);
    expect(new Set(springKeys(r)).size).toBe(158);
    // Voxels 0 and 7 touch at one corner only: no spring is shared between them.
    expect(r.springs.actuator!.filter((a) => a === 0)).toHaveLength(56);
    expect(() => validateSpringScene(sceneOf(3, r, 1))).not.toThrow();
  });
});

describe('clothGrid', () => {
  it('(nx + 1)(ny + 1) vertices, 2 nx ny triangles, masses adding up to density x area', () => {
    const c = clothGrid({ nx: 4, ny: 3, size: [2, 1.5], origin: [0, 1, 0], plane: 'xz', density: 0.3 });
    expect(c.vertices.mass).toHaveLength(20);
    expect(c.triangles.indices).toHaveLength(3 * 24);
    expect(c.triangles.material).toEqual(new Array(24).fill(0));
    expect(c.vertices.mass.reduce((a, b) => a + b, 0)).toBeCloseTo(0.3 * 2 * 1.5, 12);
    // A third of each triangle around a vertex: a corner on its quad's diagonal has two, one off it
    // has one; an interior vertex has 4 or 8 with alternating diagonals.
    const tri = (0.3 * 0.5 * 0.5) / 2;
    expect(c.vertices.mass[clothVertex(4, 0, 0)]).toBeCloseTo((2 * tri) / 3, 12);
    expect(c.vertices.mass[clothVertex(4, 4, 0)]).toBeCloseTo((2 * tri) / 3, 12);
    expect(c.vertices.mass[clothVertex(4, 4, 3)]).toBeCloseTo(tri / 3, 12);
    expect(c.vertices.mass[clothVertex(4, 2, 1)]).toBeCloseTo((4 * tri) / 3, 12);
    expect(c.vertices.mass[clothVertex(4, 1, 1)]).toBeCloseTo((8 * tri) / 3, 12);
  });

  it('corners where the options put them, in the chosen plane', () => {
    const xz = clothGrid({ nx: 2, ny: 2, size: [1, 2], origin: [0.5, 1, -1], plane: 'xz', density: 1 });
    const at = (x: number[], i: number) => x.slice(3 * i, 3 * i + 3);
    expect(clothCorners(2, 2)).toEqual([0, 2, 6, 8]);
    expect(clothCorners(2, 2).map((i) => at(xz.vertices.x, i))).toEqual([[0.5, 1, -1], [1.5, 1, -1], [0.5, 1, 1], [1.5, 1, 1]]);
    const xy = clothGrid({ nx: 2, ny: 2, size: [1, 2], origin: [0, 0, 0.5], plane: 'xy', density: 1 });
    expect(at(xy.vertices.x, clothCorners(2, 2)[3])).toEqual([1, 2, 0.5]);
  });

  it('alternating diagonals, every triangle counter-clockwise seen from +y (xz) or +z (xy)', () => {
    for (const plane of ['xz', 'xy'] as const) {
      const c = clothGrid({ nx: 3, ny: 2, size: [1, 1], origin: [0, 0, 0], plane, density: 1 });
      const x = c.vertices.x, ix = c.triangles.indices;
      const up = plane === 'xz' ? 1 : 2;
      for (let t = 0; t < ix.length / 3; t++) {
        const [a, b, d] = [ix[3 * t], ix[3 * t + 1], ix[3 * t + 2]];
        const u = [0, 1, 2].map((k) => x[3 * b + k] - x[3 * a + k]);
        const w = [0, 1, 2].map((k) => x[3 * d + k] - x[3 * a + k]);
        const n = [u[1] * w[2] - u[2] * w[1], u[2] * w[0] - u[0] * w[2], u[0] * w[1] - u[1] * w[0]];
        expect(n[up]).toBeGreaterThan(0);
      }
      // Quad (0, 0) is split along 0-5, quad (1, 0) along 2-5 (the other diagonal), not 1-4 or 1-6.
      const edges = new Set<string>();
      for (let t = 0; t < ix.length / 3; t++) for (let e = 0; e < 3; e++) edges.add([ix[3 * t + e], ix[3 * t + (e + 1) % 3]].sort((p, q) => p - q).join('-'));
      expect([edges.has('0-5'), edges.has('1-4'), edges.has('2-5'), edges.has('1-6')]).toEqual([true, false, true, false]);
      expect(() => validateSpringScene(sceneOf(3, c))).not.toThrow();
    }
  });

  it('refuses a grid without quads', () => {
    expect(() => clothGrid({ nx: 0, ny: 2, size: [1, 1], origin: [0, 0, 0], plane: 'xz', density: 1 })).toThrow('expected integers >= 1');
  });

  it('refuses a grid of more vertices than a scene may have, naming the count (it threw V8\'s "Invalid array length")', () => {
    expect(() => clothGrid({ nx: 1e5, ny: 1e5, size: [1, 1], origin: [0, 0, 0], plane: 'xz', density: 1 }))
      .toThrow('clothGrid: nx = 100000, ny = 100000 make 10000200001 vertices: allowed at most 4000000 ((nx + 1)(ny + 1), the vertices a scene may have)');
  });

  it('refuses sizes, an origin, a plane or a density that would make a folded, massless or misplaced cloth, naming the option', () => {
    const ok = { nx: 2, ny: 2, size: [1, 1] as [number, number], origin: [0, 0, 0] as [number, number, number], plane: 'xz' as const, density: 1 };
    const bad = (edit: Record<string, unknown>, message: string) => expect(() => clothGrid({ ...ok, ...edit } as never)).toThrow(message);
    bad({ size: [-1, 1] }, 'clothGrid: size = [-1,1]: expected two finite side lengths > 0');
    bad({ size: [0, 1] }, 'clothGrid: size = [0,1]');
    bad({ origin: [0, 0] }, 'clothGrid: origin = [0,0]: expected 3 finite coordinates');
    bad({ plane: 'yz' }, 'clothGrid: plane = "yz": expected "xz" (horizontal) or "xy" (vertical)');
    bad({ density: 0 }, 'clothGrid: density = 0: expected a finite mass per unit area > 0');
    bad({ density: NaN }, 'clothGrid: density = null');
  });
});

describe('triangleMesh', () => {
  it('fan-triangulates polygons, masses adding up to density x area', () => {
    // A unit square as one quad and a pentagon-shaped roof on top (area 1 + 0.5).
    const v = [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0.5, 2, 0]];
    const m = triangleMesh(v, [[0, 1, 2, 3], [3, 2, 4]], { density: 2, material: 1 });
    expect(m.triangles.indices).toEqual([0, 1, 2, 0, 2, 3, 3, 2, 4]);
    expect(m.triangles.material).toEqual([1, 1, 1]);
    expect(m.vertices.mass.reduce((a, b) => a + b, 0)).toBeCloseTo(2 * 1.5, 12);
    expect(m.vertices.mass[4]).toBeCloseTo((2 * 0.5) / 3, 12);
    expect(lumpedMasses(m.vertices.x, m.triangles.indices, 2)).toEqual(m.vertices.mass);
  });

  it('fans a concave polygon from a corner that sees all the others, and one with collinear corners from where none collapses', () => {
    const ccw = (m: { vertices: { x: number[] }; triangles: { indices: number[] } }) => {
      const { x } = m.vertices, t = m.triangles.indices;
      return Array.from({ length: t.length / 3 }, (_, k) => {
        const [a, b, c] = [t[3 * k], t[3 * k + 1], t[3 * k + 2]];
        return (x[3 * b] - x[3 * a]) * (x[3 * c + 1] - x[3 * a + 1]) - (x[3 * b + 1] - x[3 * a + 1]) * (x[3 * c] - x[3 * a]);
      });
    };
    // a dart: corner 3 is reflex, so a fan from corner 0 folds; area 2.5
    const dart = triangleMesh([[0, 0, 0], [2, 0, 0], [2, 2, 0], [1, 0.5, 0], [0, 2, 0]], [[0, 1, 2, 3, 4]], { density: 1 });
    expect(dart.triangles.indices.slice(0, 3)).toEqual([3, 4, 0]);
    expect(ccw(dart).every((c) => c > 0)).toBe(true);
    expect(dart.vertices.mass.reduce((a, b) => a + b, 0)).toBeCloseTo(2.5, 12);
    // a rectangle with a corner in the middle of an edge (a T-junction): area 2
    const tee = triangleMesh([[0, 0, 0], [1, 0, 0], [2, 0, 0], [2, 1, 0], [0, 1, 0]], [[0, 1, 2, 3, 4]], { density: 1 });
    expect(ccw(tee).every((c) => c > 0)).toBe(true);
    expect(tee.vertices.mass.reduce((a, b) => a + b, 0)).toBeCloseTo(2, 12);
    expect(() => validateSpringScene(sceneOf(3, tee))).not.toThrow();
  });

  it('refuses a polygon no fan triangulates, and names a vertex only in zero-area faces', () => {
    const v = [[0, 0, 0], [1, 1, 0], [1, 0, 0], [0, 1, 0]];
    expect(() => triangleMesh(v, [[0, 1, 2, 3]], { density: 1 })).toThrow('face 0 [0, 1, 2, 3] has no corner to fan it from');
    const line = [[0, 0, 0], [1, 0, 0], [2, 0, 0], [0, 1, 0]];
    expect(() => triangleMesh(line, [[0, 1, 2], [0, 2, 3]], { density: 1 })).toThrow('vertex 1 is only in faces of zero area (face 0 [0, 1, 2])');
  });

  it('refuses short faces, indices out of range, and vertices in no face', () => {
    const v = [[0, 0, 0], [1, 0, 0], [0, 1, 0], [5, 5, 5]];
    expect(() => triangleMesh(v, [[0, 1]], { density: 1 })).toThrow('face 0 has 2 corners');
    expect(() => triangleMesh(v, [[0, 1, 4]], { density: 1 })).toThrow('face 0 names vertex 4, but there are 4 vertices');
    expect(() => triangleMesh(v, [[0, 1, 1, 2]], { density: 1 })).toThrow('face 0 [0, 1, 1, 2] names vertex 1 twice');
    expect(() => triangleMesh(v, [[0, 1, 2]], { density: 1 })).toThrow('vertex 3 is in no face');
    expect(() => triangleMesh([[0, 0]], [], { density: 1 })).toThrow('vertex 0 has 2 coordinates');
    expect(() => triangleMesh([[0, 0, 0], [1, NaN, 0], [0, 1, 0]], [[0, 1, 2]], { density: 1 })).toThrow('vertex 1 = [1, NaN, 0]: allowed 3 finite coordinates');
    expect(() => triangleMesh(v, [[0, 1, 2]], { density: -1 })).toThrow('triangleMesh: density = -1: expected a finite mass per unit area > 0');
  });
});

describe('parseObj', () => {
  const cube = `# a unit cube's lower half, with quads and everything OBJ carries
mtllib cube.mtl
o cube
v 0 0 0
v 1 0 0
v 1 0 1 1.0
v 0 0 1
vt 0 0
vn 0 -1 0
g bottom
usemtl red
s off
f 1/1/1 2/1/1 3/1/1 4/1/1
v 0 1 0   # a comment after a vertex
v 1 1 0
f -6 -5 -1 -2
f 1//1 4//1 5//1
f 2/1 6/1 3/1
l 1 2
`;

  it('reads v and f lines in every corner form, quads and negative indices, and ignores the rest', () => {
    const m = parseObj(cube);
    expect(m.vertices).toEqual([[0, 0, 0], [1, 0, 0], [1, 0, 1], [0, 0, 1], [0, 1, 0], [1, 1, 0]]);
    expect(m.faces).toEqual([[0, 1, 2, 3], [0, 1, 5, 4], [0, 3, 4], [1, 5, 2]]);
  });

  it('gives a mesh triangleMesh turns into a valid shell', () => {
    const m = parseObj(cube);
    const shell = triangleMesh(m.vertices, m.faces, { density: 1 });
    expect(shell.triangles.indices).toHaveLength(3 * 6);
    expect(() => validateSpringScene(sceneOf(3, shell))).not.toThrow();
  });

  it('skips the vertex colours after x y z that MeshLab and scanners write', () => {
    const m = parseObj('v 0 0 0 1 0 0\nv 1 0 0 0 1 0\nv 0 1 0 0 0 1 0.5\nv -1 -1 0 1.0\nf 1 2 3 4\n');
    expect(m.vertices).toEqual([[0, 0, 0], [1, 0, 0], [0, 1, 0], [-1, -1, 0]]);
  });

  it('accepts CRLF line ends and faces that name later vertices', () => {
    expect(parseObj('f 1 2 3\r\nv 0 0 0\r\nv 1 0 0\r\nv 0 1 0\r\n')).toEqual({ vertices: [[0, 0, 0], [1, 0, 0], [0, 1, 0]], faces: [[0, 1, 2]], lines: [1] });
  });

  it('names the line of a malformed v or f line', () => {
    const bad = (text: string, line: number, what: string) => {
      let err: unknown;
      try { parseObj(text); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(ObjError);
      expect((err as ObjError).line).toBe(line);
      expect((err as ObjError).message).toContain(`OBJ line ${line}: ${what}`);
    };
    const head = 'v 0 0 0\nv 1 0 0\nv 0 1 0\n';
    bad(`${head}v 1 2\n`, 4, 'a vertex needs 3 finite decimal coordinates');
    bad(`${head}v 1 2 x\n`, 4, 'a vertex needs 3 finite decimal coordinates');
    bad(`${head}v 0x1 0 0\n`, 4, 'a vertex needs 3 finite decimal coordinates');
    bad(`${head}v 1e999 0 0\n`, 4, 'a vertex needs 3 finite decimal coordinates');
    bad(`${head}v 1 2 3 0.1 0.2 0.3 1 9\n`, 4, 'a vertex needs 3 finite decimal coordinates');
    bad(`${head}\nf 1 2\n`, 5, 'a face needs at least 3 corners, this one has 2');
    bad(`${head}f 1 2 a\n`, 4, 'face corner "a" is not v, v/vt, v//vn or v/vt/vn');
    bad(`${head}f 0 1 2\n`, 4, 'face corner "0"');
    bad(`${head}f 1/2/3/4 1 2\n`, 4, 'face corner "1/2/3/4"');
    bad(`${head}f -4 -1 -2\n`, 4, 'vertex -4 reaches before the first vertex (3 read so far)');
    bad(`${head}f 1 2 4\n# end\n`, 4, 'vertex 4 does not exist (the file has 3 vertices)');
  });
});
