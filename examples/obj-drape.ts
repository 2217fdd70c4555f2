// A mesh you have, as a cloth: read a Wavefront OBJ file, scale it into the unit box, and drop it on
// a ball (objDrapeScene, which the page uses for an .obj file too). The mesh's own fineness sets the
// largest stable time step (timeStepLimit), so the scene runs at half of it rather than at a dt
// guessed in advance; at the end it prints how far any vertex went into the ball. Without
// --obj it makes a small OBJ of its own: a square napkin of quads around a diamond-shaped hole.
//
//   npx torsion exec examples/obj-drape.ts [--obj FILE.obj] [--size 0.5] [--seconds 0.6] [--quick] [--out DIR]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DRAPE_BALL as ball, ObjError, createSimulator, objDrapeScene, recordFrames, requestGpu } from 'torsion';
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

const size = Number(args.size ?? 0.5), seconds = Number(args.seconds ?? (args.quick ? 0.15 : 0.6));

const text = args.obj ? readFileSync(args.obj, 'utf8') : napkinObj(args.quick ? 8 : 16);
let drape: ReturnType<typeof objDrapeScene>;
try {
  // the mesh fitted into the box (largest side `size`) above the ball, at half its stable dt
  drape = objDrapeScene(text, { size, seconds });
} catch (e) {
  // the file's own problems (ObjError names the line; a face no fan triangulates), or --size, --seconds
  console.error(`error: ${e instanceof ObjError ? `${args.obj}: ` : ''}${(e as Error).message}`);
  process.exit(2);
}
const { scene, limit, polygons } = drape;
const dt = scene.dt, n = scene.vertices.mass.length;
console.log(`${polygons} polygons -> ${scene.triangles!.indices.length / 3} triangles, ${n} vertices; `
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
  for (let i = 0; i < n; i++) {
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
