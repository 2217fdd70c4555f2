// Torsion's Node-only API (`import { ... } from 'torsion/node'`): what writes files. A replay
// saved here opens with `npx torsion view <dir>`, like one from `torsion run`.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Scene } from './simulators';
import type { Simulator } from './core/simulator';
import { writeReplay } from './cli/run';
import { writeAtomic } from './cli/results';
import { exportSceneJson } from './mpm/validate';

/**
 * Writes replay.json + replay.bin (frames of positions every `every` steps: recordFrames' result,
 * or its `frames`) and scene.json to `dir`, creating it: `npx torsion view <dir>` plays it.
 */
export function saveReplay(dir: string, scene: Scene, sim: Simulator, frames: Float32Array[] | { frames: Float32Array[]; every?: number }, every: number): void {
  // checked before anything is written: the page would play a replay of the wrong speed or size
  if (!(Number.isInteger(every) && every >= 1)) throw new RangeError(`saveReplay: every = ${every}: allowed an integer >= 1 (steps per frame, as recordFrames took it)`);
  const recorded = Array.isArray(frames) ? undefined : frames.every;
  if (recorded !== undefined && recorded !== every) throw new RangeError(`saveReplay: every = ${every}, but these frames were recorded every ${recorded} steps: allowed ${recorded}`);
  const list = Array.isArray(frames) ? frames : frames.frames;
  const floats = sim.batch * sim.state.items * sim.dim;
  if (list.length === 0) throw new RangeError('saveReplay: no frames: allowed at least one (recordFrames gives the initial one and one every `every` steps)');
  list.forEach((f, k) => {
    if (!(f instanceof Float32Array) || f.length !== floats) throw new RangeError(`saveReplay: frames[${k}] has ${(f as Float32Array)?.length} floats: allowed a Float32Array of ${floats} (batch ${sim.batch} x ${sim.state.items} items x ${sim.dim} axes: positions of this simulator)`);
  });
  mkdirSync(dir, { recursive: true });
  writeReplay(dir, scene, sim, list, every);
  writeAtomic(join(dir, 'scene.json'), exportSceneJson(scene)); // as optimize and mpc write it
}
