// A mesh someone has, as a cloth dropped on a ball: a Wavefront OBJ's polygons (parseObj,
// triangleMesh) scaled into the unit box above a sphere and the ground. The mesh's fineness sets the
// explicit step's stability limit, so the scene runs at half of what timeStepLimit finds (at most
// 1 ms) rather than at a dt fixed in advance. Used by examples/obj-drape.ts and by the page, which
// drapes an .obj file opened or dropped on it.
import { ObjError, parseObj } from '../src/springs/obj';
import { timeStepLimit } from '../src/springs/validate';
import type { SpringScene } from '../src/springs/scene';
import { SceneError } from '../src/core/scene-error';
import type { StabilityLimit } from '../src/springs/stability';
import { MeshError, triangleMesh } from './spring-builders';
import { boundingBox } from './builders';
import { MAX_STEPS } from '../src/mpm/schema';

export interface ObjDrapeOptions {
  /** The scene's name. Default 'obj-drape'. */
  name?: string;
  /** The mesh's largest side after fitting, in domain units (the box is 1 a side). Default 0.5. */
  size?: number;
  /** Simulated time; the steps follow from the dt chosen (at most MAX_STEPS: a fine mesh's is shorter). Default 0.6 s. */
  seconds?: number;
}

export const DRAPE_BALL = { centre: [0.5, 0.3, 0.5], radius: 0.15 };
/** Where the fitted mesh's lowest point starts (a tall mesh's lower, down to 0.47). */
const DROP_HEIGHT = 0.55;
const MAX_DT = 1e-3;

/**
 * The drape scene of an OBJ file's text. Throws ObjError naming the line (and vertices by the file's
 * numbers) of a malformed `v` or `f`, a face triangleMesh cannot triangulate or that leaves a vertex
 * without mass, and an edge of more than two faces. Vertices no face uses are dropped (an
 * OBJ may carry them), the faces keeping their order; `polygons` counts the file's faces.
 */
export function objDrapeScene(text: string, o: ObjDrapeOptions = {}): { scene: SpringScene; limit: StabilityLimit; polygons: number } {
  const size = o.size ?? 0.5, seconds = o.seconds ?? 0.6;
  if (!(size > 0 && size <= 1)) throw new RangeError(`objDrapeScene: size = ${size}: allowed a side in (0, 1] (the box is 1 a side)`);
  if (!(seconds > 0 && seconds <= 100)) throw new RangeError(`objDrapeScene: seconds = ${seconds}: allowed a time in (0, 100]`);
  const obj = parseObj(text);
  if (obj.faces.length === 0) throw new RangeError('objDrapeScene: the file has no faces (f lines): a cloth needs polygons');
  const used = [...new Set(obj.faces.flat())].sort((a, b) => a - b);
  const index = new Map(used.map((v, k) => [v, k]));
  const faces = obj.faces.map((f) => f.map((v) => index.get(v)!));
  const pts = used.map((v) => obj.vertices[v]);
  const { lo, hi } = boundingBox(pts, 3);
  const side = Math.max(...hi.map((h, a) => h - lo[a]));
  if (!(side > 0)) throw new RangeError('objDrapeScene: every vertex of the faces is at one point');
  const scale = size / side;
  const c = DRAPE_BALL.centre;
  // a tall mesh starts lower, to stay inside the drawn box, but above the ball's top (0.45)
  const drop = Math.max(DROP_HEIGHT - 0.08, Math.min(DROP_HEIGHT, 0.98 - (hi[1] - lo[1]) * scale));
  const fitted = pts.map((p) => [c[0] + (p[0] - (lo[0] + hi[0]) / 2) * scale, drop + (p[1] - lo[1]) * scale, c[2] + (p[2] - (lo[2] + hi[2]) / 2) * scale]);
  const raw = text.split(/\r?\n/);
  const fail = (k: number, problem: string) => new ObjError(obj.lines[k], problem, raw[obj.lines[k] - 1]);
  // messages name vertices as the file numbers them (1-based, before unused ones were dropped)
  const vertex = (i: number) => `vertex ${used[i] + 1}`;
  const names = { vertex, face: (k: number) => `this face [${faces[k].map((i) => used[i] + 1).join(', ')}]` };
  let mesh: ReturnType<typeof triangleMesh>;
  try {
    mesh = triangleMesh(fitted, faces, { density: 0.2, names });
  } catch (e) {
    if (e instanceof MeshError && e.face !== undefined) throw fail(e.face, e.problem);
    throw e;
  }
  // a bending hinge joins two triangles: an edge of three faces is refused here, by its lines
  const edgeFaces = new Map<string, number[]>();
  faces.forEach((f, k) => f.forEach((a, c) => {
    const b = f[(c + 1) % f.length], key = a < b ? `${a} ${b}` : `${b} ${a}`;
    const list = edgeFaces.get(key) ?? [];
    list.push(k);
    edgeFaces.set(key, list);
    if (list.length === 3) {
      throw fail(k, `the edge from ${vertex(a)} to ${vertex(b)} is in 3 faces (lines ${list.map((j) => obj.lines[j]).join(', ')}): a cloth's edge joins at most 2 (its bending hinge bends a pair)`);
    }
  }));
  const make = (dt: number): SpringScene => ({
    kind: 'shell', name: o.name ?? 'obj-drape',
    description: `an OBJ mesh (${fitted.length} vertices, ${obj.faces.length} polygons) dropped as a cloth on a ball`,
    dim: 3, dt, steps: Math.max(1, Math.min(MAX_STEPS, Math.round(seconds / dt))), gravity: [0, -9.8, 0], damping: 1, extent: [1, 1, 1],
    materials: [{ name: 'cloth', stiffness: 1, damping: 0, mu: 20, lambda: 10, bending: 1e-4 }],
    vertices: mesh.vertices,
    triangles: mesh.triangles,
    ground: { height: 0.05, friction: 0.5, softness: 0.002 },
    colliders: [{ name: 'ball', shape: 'sphere', radius: DRAPE_BALL.radius, friction: 0.4, position: [c], velocity: [[0, 0, 0]] }],
    colliderSoftness: 0.002,
  });
  // everything but dt is checked here as validation checks it; dt enters only through damping
  let limit: StabilityLimit;
  try {
    limit = timeStepLimit(make(MAX_DT));
  } catch (e) {
    // a triangle the scene check refuses (a duplicate face, one of zero area): named by its face's line
    const t = e instanceof SceneError ? /^triangles\.indices\[(\d+)\./.exec(e.field) : null;
    if (!t) throw e;
    const faceOf = faces.flatMap((f, k) => new Array<number>(f.length - 2).fill(k));
    throw fail(faceOf[Number(t[1]) / 3], `a triangle of this face is refused (vertices numbered from 0, unused ones dropped): ${(e as SceneError).message}`);
  }
  return { scene: make(Math.min(MAX_DT, limit.dtMax / 2)), limit, polygons: obj.faces.length };
}
