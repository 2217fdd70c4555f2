// A mesh you have, as a cloth: read a Wavefront OBJ file, scale it into the unit box, and drop it on
// a ball. The mesh's own fineness sets the largest stable time step (timeStepLimit), so the program
// asks for it instead of guessing, runs at half of it, and checks at the end that no vertex went
// through the ball. Without --obj it writes and reads a small OBJ of its own: a square napkin of
// quads around a diamond-shaped hole, the polygons triangleMesh fans into triangles.
//
//   npx torsion exec examples/obj-drape.ts [--obj FILE.obj] [--size 0.5] [--seconds 0.6] [--quick] [--out DIR]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ObjError, createSimulator, parseObj, recordFrames, requestGpu, timeStepLimit, triangleMesh, type SpringScene } from 'torsion';
import { saveReplay } from 'torsion/node';

const { values: args } = parseArgs({
  options: { obj: { type: 'string' }, size: { type: 'string' }, seconds: { type: 'string' }, quick: { type: 'boolean' }, out: { type: 'string' } },
});

/** A square napkin of side 2 in the xz plane, n quads a side, with a diamond cut from its middle. */
function napkinObj(n: number): string {
  const lines = ['# napkin: quads, and a diamond-shaped hole in the middle'];
  const id = (i: number, j: number) => j * (n + 1) + i + 1; // OBJ counts from 1
  for (let j = 0; j <= n; j++) for (let i = 0; i <= n; i++) lines.push(`v ${(2 * i) / n - 1} 0 ${(2 * j) / n - 1}`);
  const hole = (i: number, j: number) => Math.abs(i + 0.5 - n / 2) + Math.abs(j + 0.5 - n / 2) < n / 6;
  for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) if (!hole(i, j)) lines.push(`f ${id(i, j)} ${id(i, j + 1)} ${id(i + 1, j + 1)} ${id(i + 1, j)}`);
  return lines.join('\n');
}

const number = (name: 'size' | 'seconds', dflt: number): number => {
  const v = Number(args[name] ?? dflt);
  if (!(v > 0 && v < 100)) { console.error(`error: --${name} = ${args[name]}: allowed a number in (0, 100)`); process.exit(2); }
  return v;
};
const size = number('size', 0.5), seconds = number('seconds', args.quick ? 0.15 : 0.6);

const text = args.obj ? readFileSync(args.obj, 'utf8') : napkinObj(args.quick ? 8 : 16);
let obj;
try {
  obj = parseObj(text);
} catch (e) {
  if (!(e instanceof ObjError)) throw e;
  console.error(`error: ${args.obj}: ${e.message}`); // it names the line
  process.exit(2);
}
// drop the vertices no face uses (an OBJ may carry them), keeping the faces' order
const used = [...new Set(obj.faces.flat())].sort((a, b) => a - b);
const newIndex = new Map(used.map((v, k) => [v, k]));
const faces = obj.faces.map((f) => f.map((v) => newIndex.get(v)!));

// Fit: the mesh's largest side becomes `size`, centred over the ball, its lowest point at 0.55.
const pts = used.map((v) => obj.vertices[v]);
const lo = [0, 1, 2].map((a) => Math.min(...pts.map((p) => p[a]))), hi = [0, 1, 2].map((a) => Math.max(...pts.map((p) => p[a])));
const scale = size / Math.max(...hi.map((h, a) => h - lo[a]));
const fitted = pts.map((p) => [0.5 + (p[0] - (lo[0] + hi[0]) / 2) * scale, 0.55 + (p[1] - lo[1]) * scale, 0.5 + (p[2] - (lo[2] + hi[2]) / 2) * scale]);
const mesh = triangleMesh(fitted, faces, { density: 0.2 }); // kg per square metre; throws naming a bad face

const ball = { centre: [0.5, 0.3, 0.5], radius: 0.15 };
const draft = (dt: number): SpringScene => ({
  kind: 'shell', name: 'obj-drape', dim: 3, dt, steps: Math.max(1, Math.round(seconds / dt)), gravity: [0, -9.8, 0], damping: 1, extent: [1, 1, 1],
  materials: [{ name: 'cloth', stiffness: 1, damping: 0, mu: 20, lambda: 10, bending: 1e-4 }],
  vertices: mesh.vertices,
  triangles: mesh.triangles,
  ground: { height: 0.05, friction: 0.5, softness: 0.002 },
  colliders: [{ name: 'ball', shape: 'sphere', radius: ball.radius, friction: 0.4, position: [ball.centre], velocity: [[0, 0, 0]] }],
  colliderSoftness: 0.002,
});
const limit = timeStepLimit(draft(1e-3)); // checks the scene as validation would; dt enters only through damping
const dt = Math.min(1e-3, limit.dtMax / 2);
const scene = draft(dt);
console.log(`${obj.faces.length} polygons -> ${mesh.triangles.indices.length / 3} triangles, ${fitted.length} vertices; `
  + `stable up to dt ${limit.dtMax.toExponential(2)} s (vertex ${limit.vertex}, held by ${limit.by}); running ${scene.steps} steps of ${dt.toExponential(2)} s`);

const gpu = await requestGpu();
try {
  const sim = await createSimulator(gpu, scene);
  const every = Math.max(1, Math.round(scene.steps / 60));
  const run = await recordFrames(sim, scene.steps, every);
  if (run.status.badStep !== null) throw new Error(sim.blowUpMessage(run.status));
  // Where the cloth ended: its lowest point, and how far any vertex is inside the ball (contact is
  // soft: a vertex may rest up to about the softness inside).
  const x = run.frames[run.frames.length - 1];
  let lowest = Infinity, deepest = 0, onBall = 0;
  for (let i = 0; i < fitted.length; i++) {
    const p = [x[3 * i], x[3 * i + 1], x[3 * i + 2]];
    lowest = Math.min(lowest, p[1]);
    const gap = Math.hypot(p[0] - ball.centre[0], p[1] - ball.centre[1], p[2] - ball.centre[2]) - ball.radius;
    deepest = Math.max(deepest, -gap);
    if (gap < 0.01) onBall++;
  }
  console.log(`after ${(scene.steps * dt).toFixed(2)} s: ${onBall} vertices on the ball, lowest point at height ${lowest.toFixed(3)}, deepest inside the ball ${(deepest * 1000).toFixed(2)} mm`);
  if (args.out) {
    saveReplay(args.out, scene, sim, run, every);
    console.log(`replay: npx torsion view ${args.out}`);
  }
  sim.destroy();
} finally {
  gpu.destroy();
}
