// A Wavefront OBJ reader for shell meshes: vertex positions (`v`) and polygon faces (`f`), nothing
// else (normals, texture coordinates, vertex colours, groups and materials are skipped). Faces keep their polygons;
// triangleMesh (scenes/spring-builders.ts) triangulates them.

export interface ObjMesh {
  /** Positions [x, y, z], in file order. */
  vertices: number[][];
  /** Polygons as 0-based vertex indices, in file order (3 or more each). */
  faces: number[][];
  /** The 1-based line of each face, so that a later problem with a face can name its line. */
  lines: number[];
}

/** An OBJ file's problem, with its 1-based line number. */
export class ObjError extends Error {
  constructor(readonly line: number, problem: string, text: string) {
    super(`OBJ line ${line}: ${problem}: ${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text)}`);
    this.name = 'ObjError';
  }
}

/**
 * Reads `v` and `f` lines (a `v` line's weight or colours after x y z are skipped). A face corner is `v`, `v/vt`, `v//vn` or `v/vt/vn`, 1-based, or negative
 * (relative: -1 is the last vertex read so far). Throws ObjError naming the line for a malformed
 * `v` or `f` line or an index out of range.
 */
export function parseObj(text: string): ObjMesh {
  const vertices: number[][] = [];
  const faces: number[][] = [];
  const lines: number[] = [];
  // Positive indices may name vertices defined later in the file: checked once all are read.
  const pending: { line: number; text: string; face: number[] }[] = [];
  text.split(/\r?\n/).forEach((raw, k) => {
    const line = k + 1;
    const body = raw.replace(/#.*$/, '').trim();
    if (body === '') return;
    const [key, ...args] = body.split(/\s+/);
    if (key === 'v') {
      // x y z, then a weight (the standard) or colours r g b [a] (MeshLab, scanners): read, then dropped
      if (args.length < 3 || args.length > 7 || !args.every((a) => DECIMAL.test(a) && Number.isFinite(Number(a)))) {
        throw new ObjError(line, 'a vertex needs 3 finite decimal coordinates (then an optional weight, or colours r g b [a])', raw);
      }
      vertices.push(args.slice(0, 3).map(Number));
    } else if (key === 'f') {
      if (args.length < 3) throw new ObjError(line, `a face needs at least 3 corners, this one has ${args.length}`, raw);
      const face = args.map((corner) => faceIndex(corner, vertices.length, line, raw));
      pending.push({ line, text: raw, face });
      faces.push(face);
      lines.push(line);
    }
  });
  for (const { line, text: raw, face } of pending) {
    const bad = face.find((i) => i >= vertices.length);
    if (bad !== undefined) throw new ObjError(line, `vertex ${bad + 1} does not exist (the file has ${vertices.length} vertices)`, raw);
  }
  return { vertices, faces, lines };
}

/** A decimal number as OBJ writers print one (Number() alone would also take "0x1f", "Infinity" or ""). */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function faceIndex(corner: string, count: number, line: number, raw: string): number {
  const m = /^(-?\d+)(\/(-?\d+)?(\/(-?\d+)?)?)?$/.exec(corner);
  const i = m ? Number(m[1]) : NaN;
  if (!Number.isSafeInteger(i) || i === 0) {
    throw new ObjError(line, `face corner ${JSON.stringify(corner)} is not v, v/vt, v//vn or v/vt/vn with a non-zero vertex index`, raw);
  }
  if (i > 0) return i - 1;
  if (-i > count) throw new ObjError(line, `vertex ${i} reaches before the first vertex (${count} read so far)`, raw);
  return count + i;
}
