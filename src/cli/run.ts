// `torsion run <scene> [--steps N] [--out DIR] [--every K]`: a forward rollout. Writes the final
// particle state (state.bin + state.json describing it) and a replay of positions every K steps
// (replay.bin + replay.json), which the browser viewer and replays read.
import { join } from 'node:path';
import { requestGpu } from '../gpu/device';
import type { Simulator } from '../core/simulator';
import { recordFrames } from '../core/record';
import { createSimulator, type Scene } from '../simulators';
import { floatBytes, makeRunDir, writeAtomic, writeJson } from './results';
import { RolloutError } from '../core/rollout';

export { recordFrames };

export interface RunOptions { steps?: number; out?: string; every?: number }

/** replay.bin + replay.json: what the browser viewer opens. */
export function writeReplay(dir: string, scene: Scene, sim: Simulator, frames: Float32Array[], every: number): void {
  const all = new Float32Array(frames.reduce((a, f) => a + f.length, 0));
  let off = 0;
  for (const f of frames) { all.set(f, off); off += f.length; }
  writeAtomic(join(dir, 'replay.bin'), floatBytes(all));
  writeJson(join(dir, 'replay.json'), { scene: scene.name, dim: sim.dim, particles: sim.state.items, batch: sim.batch, frames: frames.length,
    stepsPerFrame: every, dt: scene.dt, layout: '[frame][batch][particle][dim] float32 positions',
    ...('particles' in scene ? { group: scene.particles.group } : { triangles: scene.triangles?.indices ?? [], springs: scene.springs?.pairs ?? [] }) });
}

export async function runScene(scene: Scene, o: RunOptions): Promise<{ dir: string }> {
  const steps = o.steps ?? scene.steps;
  const every = o.every ?? Math.max(1, Math.round(steps / 100));
  const dir = makeRunDir(o.out, 'run', scene.name);
  const gpu = await requestGpu();
  const sim = await createSimulator(gpu, scene);
  try {
    const t0 = performance.now();
    const { frames, final, status } = await recordFrames(sim, steps, every, sim.state0, (t) => process.stdout.write(`\rstep ${t}/${steps}`));
    const seconds = (performance.now() - t0) / 1000;
    process.stdout.write('\n');
    if (status.badStep !== null) throw new RolloutError(sim.blowUpMessage(status), status.badStep);
    const d = sim.dim;
    writeAtomic(join(dir, 'state.bin'), floatBytes(final));
    writeJson(join(dir, 'state.json'), {
      scene: scene.name, step: steps, dim: d, particles: sim.state.items, batch: sim.batch, dtype: 'float32', littleEndian: true,
      record: { stride: sim.state.stride, ...Object.fromEntries(sim.state.fields.map((f) => [f.name, [f.offset, f.length]])),
        ...('particles' in scene ? { matrixOrder: 'column-major', note: 'F holds F - I for particles of fluid groups (add I)' } : {}) },
      ...(sim.state.tail ? { tail: sim.state.tail, tailLayout: 'after all copies\' records, [batch][length] per entry' } : {}),
    });
    writeReplay(dir, scene, sim, frames, every);
    writeJson(join(dir, 'scene.json'), scene);
    console.log(`${steps} steps of ${scene.name} in ${seconds.toFixed(2)} s (${sim.state.items} items${sim.describeStatus(status)})`);
    console.log(`results: ${dir}`);
    return { dir };
  } finally {
    sim.destroy();
    gpu.destroy();
  }
}
