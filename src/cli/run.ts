// `torsion run <scene> [--steps N] [--out DIR] [--every K] [--sort-every K]`: a forward rollout.
// Writes the final particle state (state.bin + state.json describing it) and a replay of positions
// every K steps (replay.bin + replay.json), which the browser viewer and replays read. An MPM scene
// with sortEvery (or --sort-every) re-sorts its particles during the rollout; both files are in the
// scene's order all the same. A Ctrl-C stops the rollout where it is and writes the same files for
// the steps that ran.
import { join } from 'node:path';
import { requestGpu } from '../gpu/device';
import { readU32 } from '../gpu/buffers';
import type { Simulator } from '../core/simulator';
import { recordFrames } from '../core/record';
import { createSimulator, type Scene } from '../simulators';
import { controllerActuation, type BodyTracks } from '../opt/scene-tracks';
import { sceneLoss } from '../opt/objective';
import { validateScene } from '../mpm/validate';
import { ensureDir, floatBytes, makeRunDir, onInterrupt, writeAtomic, writeJson } from './results';
import { RolloutError } from '../core/rollout';

export { recordFrames };

export interface RunOptions { steps?: number; out?: string; every?: number }

/** replay.bin + replay.json: what the browser viewer opens. */
export function writeReplay(dir: string, scene: Scene, sim: Simulator, frames: Float32Array[], every: number, tracks?: BodyTracks): void {
  const all = new Float32Array(frames.reduce((a, f) => a + f.length, 0));
  let off = 0;
  for (const f of frames) { all.set(f, off); off += f.length; }
  writeAtomic(join(dir, 'replay.bin'), floatBytes(all));
  writeJson(join(dir, 'replay.json'), { scene: scene.name, dim: sim.dim, particles: sim.state.items, batch: sim.batch, frames: frames.length,
    stepsPerFrame: every, dt: scene.dt, layout: '[frame][batch][particle][dim] float32 positions',
    ...('particles' in scene ? { group: scene.particles.group } : { triangles: scene.triangles?.indices ?? [], springs: scene.springs?.pairs ?? [] }),
    ...(tracks && Object.keys(tracks).length ? { tracks } : {}) });
}

/**
 * Where the simulator re-sorts its items (an MPM scene's sortEvery): how many of the state after
 * `steps` steps are away from their scene index, as the simulator holds it (what is written is
 * converted to the scene's order). Null where it keeps the scene's order throughout.
 */
export async function itemsMoved(sim: Simulator, steps: number): Promise<number | null> {
  const order = sim.itemOrder?.stateOrder(steps);
  if (!order) return null;
  const n = sim.state.items;
  const at = await readU32(sim.device, order, 0, sim.batch * n);
  let moved = 0;
  for (let i = 0; i < at.length; i++) if (at[i] !== i % n) moved++;
  return moved;
}

/** ", sorted every K steps: M of N particles away from their scene index at the end; ...", or '' for a run that did not sort. */
function sortNote(scene: Scene, moved: number | null, items: number): string {
  const k = 'particles' in scene ? scene.sortEvery ?? 0 : 0;
  if (!k || moved === null) return '';
  return `, sorted every ${k} steps: ${moved} of ${items} particles away from their scene index at the end; the files hold the scene's order`;
}

export async function runScene(scene: Scene, o: RunOptions): Promise<{ dir: string; moved: number | null; interrupted: boolean }> {
  const steps = o.steps ?? scene.steps;
  // a periodic gait goes on for the whole run (rows past the scene's steps would hold the last)
  if (steps > scene.steps && scene.actuation?.periodic) scene = validateScene({ ...scene, steps } as Scene);
  const every = o.every ?? Math.max(1, Math.round(steps / 100));
  // checked now, made once the rollout has run: a run that fails leaves no empty folder
  const dir = makeRunDir(o.out, 'run', scene.name, { create: false });
  const gpu = await requestGpu();
  const sim = await createSimulator(gpu, scene);
  const stop = onInterrupt('stopping the rollout and saving the steps that ran');
  try {
    const t0 = performance.now();
    // a counter in place on a terminal; a log file gets the result line only
    const tty = process.stdout.isTTY;
    const rec = await recordFrames(sim, steps, every, sim.state0, (t) => { if (tty) process.stdout.write(`\rstep ${t}/${steps}`); }, () => stop.stop);
    const { frames, final, status } = rec;
    const seconds = (performance.now() - t0) / 1000;
    if (tty) process.stdout.write('\n');
    if (status.badStep !== null) throw new RolloutError(sim.blowUpMessage(status), status.badStep);
    const interrupted = rec.steps < steps;
    const moved = await itemsMoved(sim, rec.steps);
    const d = sim.dim;
    ensureDir(dir);
    writeAtomic(join(dir, 'state.bin'), floatBytes(final));
    writeJson(join(dir, 'state.json'), {
      scene: scene.name, step: rec.steps, dim: d, particles: sim.state.items, batch: sim.batch, dtype: 'float32', littleEndian: true,
      record: { stride: sim.state.stride, ...Object.fromEntries(sim.state.fields.map((f) => [f.name, [f.offset, f.length]])),
        ...('particles' in scene ? { matrixOrder: 'column-major', note: 'F holds F - I for particles of fluid groups (add I)' } : {}) },
      ...(sim.state.tail ? { tail: sim.state.tail, tailLayout: 'after all copies\' records, [batch][length] per entry' } : {}),
    });
    // a controller's rows as its MLP wrote them, which the page colours by (the scene's are its start)
    writeReplay(dir, scene, sim, frames, every, (await controllerActuation(sim)) ?? undefined);
    writeJson(join(dir, 'scene.json'), scene);
    const ran = interrupted ? `interrupted at step ${rec.steps} of ${steps}: ${rec.steps} steps` : `${steps} steps`;
    console.log(`${ran} of ${scene.name} in ${seconds.toFixed(2)} s (${sim.state.items} items${sim.describeStatus(status)}${sortNote(scene, moved, sim.batch * sim.state.items)})`);
    console.log(`results: ${dir}${interrupted ? ` (the state at step ${rec.steps}; the replay's ${frames.length} frame${frames.length === 1 ? '' : 's'} to step ${(frames.length - 1) * every})` : ''}`);
    // the scene's own loss, where this run is its horizon: a tuned scene's score (best-scene.json)
    if (scene.loss && !interrupted && steps === scene.steps) {
      const L = await sceneLoss(gpu, scene);
      const metric = L.report?.length ? `, metric ${(L.report.reduce((a, x) => a + x, 0) / L.report.length).toPrecision(4)}` : '';
      const over = L.copies.length > 1 ? `, the mean over its ${L.copies.length} commanded goals` : '';
      console.log(`loss ${L.loss.toExponential(4)} (${scene.loss.kind}${metric}${over}; a second rollout of the ${steps} steps)`);
    }
    return { dir, moved, interrupted };
  } finally {
    stop.dispose();
    sim.destroy();
    gpu.destroy();
  }
}
