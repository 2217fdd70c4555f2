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
export function saveReplay(dir: string, scene: Scene, sim: Simulator, frames: Float32Array[] | { frames: Float32Array[] }, every: number): void {
  mkdirSync(dir, { recursive: true });
  writeReplay(dir, scene, sim, Array.isArray(frames) ? frames : frames.frames, every);
  writeAtomic(join(dir, 'scene.json'), exportSceneJson(scene)); // as optimize and mpc write it
}
