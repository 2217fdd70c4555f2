// Small argument helpers shared by the commands.
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { objDrapeScene } from '../../scenes/obj-drape';
import { ObjError } from '../springs/obj';
import { sceneKind, withSortEvery, type Scene } from '../simulators';
import { SORT_EVERY_ALLOWED } from '../mpm/schema';
import { buildScene, sceneNames } from '../../scenes/index';
import { parseSceneJson, validateScene, SceneError } from '../mpm/validate';

export { UsageError } from './usage-error';
import { UsageError } from './usage-error';

export function intArg(v: string | undefined, name: string, def: number, min = 1, max = 10_000_000): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} = ${v}: allowed an integer in [${min}, ${max}]`);
  return n;
}

export function numArg(v: string | undefined, name: string, def: number, min = -Infinity, max = Infinity): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} = ${v}: allowed a number in [${min}, ${max}]`);
  return n;
}

/** --sort-every K: steps between particle sorts (0: never), or undefined where not given. */
export function sortEveryArg(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = v.trim() === '' ? NaN : Number(v);
  if (!(Number.isInteger(n) && n >= 0)) throw new UsageError(`--sort-every = ${v}: allowed ${SORT_EVERY_ALLOWED}`);
  return n;
}

/** The scene with --sort-every's value in place of its own sortEvery; a spring or shell scene takes only 0. */
export function applySortEvery(scene: Scene, k: number | undefined): Scene {
  if (k === undefined) return scene;
  if (k > 0 && sceneKind(scene) !== 'mpm') throw new UsageError(`--sort-every = ${k}: allowed 0 for a ${sceneKind(scene)} scene (only MPM particles are sorted)`);
  return withSortEvery(scene, k);
}

const MAX_SCENE_FILE = 512 * 2 ** 20;

/** An OBJ mesh as a scene: dropped as a cloth on a ball (scenes/obj-drape.ts), as the page does; `export` writes it out to edit. */
function objScene(file: string, limits?: Record<string, number>): Scene {
  try {
    return validateScene(objDrapeScene(readFileSync(file, 'utf8'), { name: basename(file).replace(/\.obj$/i, '') }).scene, limits);
  } catch (e) {
    // the file's problems: ObjError names the line, triangleMesh the face; a SceneError passes as it is
    if (e instanceof ObjError || e instanceof RangeError || (e instanceof Error && e.message.startsWith('triangleMesh:'))) throw new UsageError(`--scene-file ${file}: ${e.message}`);
    throw e;
  }
}

/** The scene named on the command line, or read from --scene-file; validated before any GPU work. */
export function loadScene(name: string | undefined, file: string | undefined, limits?: Record<string, number>): Scene {
  if (file !== undefined) {
    if (name !== undefined) throw new UsageError(`give a scene name or --scene-file, not both (got '${name}' and '${file}')`);
    let size: number;
    let folder = false;
    try { const st = statSync(file); size = st.size; folder = st.isDirectory(); } catch { throw new UsageError(`--scene-file ${file}: no such file`); }
    if (folder) throw new UsageError(`--scene-file ${file}: a folder, not a scene file (a run folder's scene is its scene.json)`);
    if (size > MAX_SCENE_FILE) throw new SceneError('file', `${size} bytes`, `at most ${MAX_SCENE_FILE} bytes`);
    if (/\.obj$/i.test(file)) return objScene(file, limits);
    return parseSceneJson(readFileSync(file, 'utf8'), limits);
  }
  if (name === undefined) throw new UsageError(`a scene is required: one of ${sceneNames.join(', ')}, or --scene-file FILE.json`);
  if (!sceneNames.includes(name)) throw new UsageError(`unknown scene ${JSON.stringify(name)}: known scenes are ${sceneNames.join(', ')}`);
  return validateScene(buildScene(name), limits);
}
