// The `torsion` command line. bin/torsion.mjs sets the V8 flag Dawn needs and runs this module.
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { GpuPacer } from '../gpu/pacer';
import { exportSceneJson } from '../mpm/validate';
import { defaultScene, sceneNames } from '../../scenes/index';
import { doctor } from './doctor';
import { runScene } from './run';
import { optimizeScene } from './optimize';
import { listScenes } from './list';
import { mpcScene } from './mpc';
import { optimizerNames, type OptimizerName } from '../opt/optimizers';
import { exitCodeOf } from './exit-code';
import { gradcheck } from './gradcheck';
import { view } from './view';
import { bench, benchBatchCmd, benchScaleCmd, benchSpringsCmd } from './bench';
import { applySortEvery, intArg, loadScene, numArg, sortEveryArg, UsageError } from './args';
import type { Scene } from '../simulators';
import type { CheckpointMode } from '../core/checkpoint-schedule';
import type { AdjointPath } from '../springs/simulator';

const HELP = `torsion: differentiable MLS-MPM, mass-spring systems and thin shells on WebGPU

  torsion doctor                          the WebGPU adapter and limits, or how to get one
  torsion run <scene> [--steps N] [--out DIR] [--every K] [--sort-every K]
                                          forward rollout; final state + replay in DIR
  torsion list [--json]                   the scenes, their kinds and what they optimize
  torsion optimize [<scene>] [--iters N] [--optimizer adam|gd|cem|spsa|hybrid] [--lr X] [--batch B] [--seed S]
                   [--steps N] [--params A,B] [--clip X | --normalize] [--window W] [--sigma X] [--checkpoint auto|full|K] [--sort-every K] [--out DIR] [--json]
  torsion optimize --resume DIR [--iters N]
                                          minimise the scene's loss over its parameters (or --params: initialVelocity,
                                          groups[0].E, actuation, colliders[0].velocity, ...): adam/gd through the
                                          checkpointed adjoint, cem/spsa over B batch copies, hybrid = cem then adam.
                                          Ctrl-C saves; --resume DIR continues (default scene: ${defaultScene})
                                          --checkpoint auto (default): a full tape where it fits in 64 MiB, else about sqrt(2T) checkpoints
  torsion mpc <scene> [--out DIR] [--json]  model-predictive control: re-plan every few steps to chase the scene's moving goal
  torsion gradcheck <scene> [--seed S] [--steps N] [--sort-every K] [--json]
                                          adjoint vs float64 finite differences, every parameter kind
  torsion bench mpm [--json] [--quick] [--only TEXT] [--sort-every K]
  torsion bench springs [--json] [--quick] [--only TEXT] [--adjoint auto|split|fused]
  torsion bench batch [--json] [--quick] [--adjoint auto|split|fused]
                                          B = 1, 8, 32, 128 copies of the 2D spring walker in the same dispatches
                                          forward/backward speed, checkpoint memory (rows whose label contains TEXT)
  torsion bench scale [--json] [--quick] [--only TEXT]
                                          millions of particles and 512x512 cloths, against a copy kernel's bandwidth:
                                          for a GPU (on a CPU adapter a row takes many minutes)
  torsion export <scene> [--out FILE] [--sort-every K]
                                          the scene as JSON (run, optimize, mpc, gradcheck and export take
                                          --scene-file FILE in place of a scene name: a scene's JSON, or an
                                          OBJ mesh, dropped as a cloth on a ball)
  torsion view <run-dir|scene|file> [--port P]
                                          serve the browser page with a run's replay, a scene, or a scene
                                          file (.json, or an .obj mesh dropped as a cloth on a ball) loaded
  torsion exec <file.ts> [args...]        run your own program with \`import { ... } from 'torsion'\` (docs/library.md)

  --sort-every K                          MPM scenes: re-sort the particles by grid cell on the GPU every K steps
                                          (0: never), in place of the scene's sortEvery; results stay in the scene's
                                          order and agree with an unsorted run to float32 rounding. Faster on mixing
                                          3D scenes (docs/performance.md). run, optimize, gradcheck, export, bench mpm

scenes: ${sceneNames.join(', ')}`;

function checkpointArg(v: string | undefined): CheckpointMode | undefined {
  if (v === undefined || v === 'auto' || v === 'full') return v;
  const k = Number(v);
  if (!Number.isInteger(k) || k < 1) throw new UsageError(`--checkpoint = ${v}: allowed auto, full or an integer >= 1`);
  return k;
}

/** Which spring step adjoint a benchmark runs (SpringSim's AdjointPath). */
function adjointArg(v: string | undefined): AdjointPath | undefined {
  if (v === undefined || v === 'auto' || v === 'split' || v === 'fused') return v;
  throw new UsageError(`--adjoint = ${v}: allowed auto, split or fused`);
}

/** The options each command takes (help aside): any other is refused, not ignored. */
const COMMAND_OPTIONS: Record<string, string[]> = {
  doctor: [],
  list: ['json'],
  run: ['steps', 'out', 'every', 'sort-every', 'scene-file'],
  optimize: ['iters', 'iterations', 'optimizer', 'lr', 'batch', 'seed', 'steps', 'params', 'clip', 'normalize', 'window', 'sigma', 'checkpoint', 'sort-every', 'out', 'json', 'resume', 'scene-file'],
  mpc: ['out', 'json', 'scene-file'],
  gradcheck: ['seed', 'steps', 'sort-every', 'json', 'scene-file'],
  bench: ['json', 'quick', 'only', 'sort-every', 'adjoint'],
  view: ['port'],
  export: ['out', 'sort-every', 'scene-file'],
};
/** Positional arguments each command takes at most (a scene, a run folder or a benchmark suite). */
const COMMAND_POSITIONALS: Record<string, number> = { doctor: 0, list: 0, run: 1, optimize: 1, mpc: 1, gradcheck: 1, bench: 1, view: 1, export: 1 };

/**
 * `--steps -3` as `--steps=-3`: parseArgs reads a value that starts with '-' as an option and
 * refuses it as ambiguous; joined, the value reaches the option's own range check.
 */
function joinNegativeValues(args: string[], stringOptions: Set<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const m = /^--([a-z-]+)$/.exec(args[i]);
    if (m && stringOptions.has(m[1]) && i + 1 < args.length && /^-[\d.]/.test(args[i + 1])) { out.push(`${args[i]}=${args[i + 1]}`); i++; } else out.push(args[i]);
  }
  return out;
}

/** Refuses an option given twice, one the command does not take, and extra positional arguments. */
function checkCommandArgs(cmd: string, args: string[], positionals: string[]): void {
  const seen = new Set<string>();
  for (const t of args) {
    const m = /^--([a-z-]+)(=|$)/.exec(t);
    if (!m) continue;
    if (seen.has(m[1])) throw new UsageError(`--${m[1]} is given twice: give it once`);
    seen.add(m[1]);
  }
  const takes = COMMAND_OPTIONS[cmd];
  if (!takes) return;
  for (const name of seen) {
    if (name === 'help' || takes.includes(name)) continue;
    if (cmd === 'view' && name === 'scene-file') throw new UsageError('--scene-file: view shows a run folder or a registered scene; run the file first (torsion run --scene-file FILE --out DIR) and view DIR, or open the file in the page');
    throw new UsageError(`--${name}: '${cmd}' does not take it (it takes ${takes.length ? takes.map((o) => `--${o}`).join(', ') : 'no options'})`);
  }
  const most = COMMAND_POSITIONALS[cmd] ?? 1;
  if (positionals.length > most) throw new UsageError(`'${cmd}' takes ${most === 0 ? 'no arguments' : 'one argument'}, got ${positionals.map((p) => JSON.stringify(p)).join(' ')}`);
}

/** Whether a command builds an MPM simulator whose particle sort --sort-every sets. */
function takesSortEvery(cmd: string | undefined, sub: string | undefined): boolean {
  if (cmd === 'bench') return sub === undefined || sub === 'mpm';
  return cmd === 'run' || cmd === 'optimize' || cmd === 'gradcheck' || cmd === 'export';
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  GpuPacer.slowFirstWait = {
    afterMs: 8000,
    notify: () => process.stderr.write('\n(the driver is compiling kernels at their first use: on a CPU adapter such as lavapipe this takes up to'
      + ' a minute or two per scene, and Mesa caches them for later runs)\n'),
  };
  try {
    const options = {
      steps: { type: 'string' }, out: { type: 'string' }, every: { type: 'string' }, iterations: { type: 'string' },
      lr: { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean' }, quick: { type: 'boolean' },
      checkpoint: { type: 'string' }, params: { type: 'string' }, 'scene-file': { type: 'string' }, only: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      iters: { type: 'string' }, optimizer: { type: 'string' }, batch: { type: 'string' }, resume: { type: 'string' }, clip: { type: 'string' }, normalize: { type: 'boolean' }, sigma: { type: 'string' }, window: { type: 'string' },
      adjoint: { type: 'string' }, port: { type: 'string' }, 'sort-every': { type: 'string' },
    } as const;
    const args = joinNegativeValues(rest, new Set(Object.entries(options).filter(([, o]) => o.type === 'string').map(([k]) => k)));
    const { values: a, positionals } = parseArgs({ args, allowPositionals: true, options });
    // `torsion <command> --help` prints the help and runs nothing
    if (a.help && cmd !== undefined) { console.log(HELP); return 0; }
    const sceneArg = positionals[0];
    const file = a['scene-file'];
    // --sort-every sets the scene's sortEvery, so a run folder's scene.json (and --resume) keep it
    const sortEvery = sortEveryArg(a['sort-every']);
    if (sortEvery !== undefined && !takesSortEvery(cmd, sceneArg)) {
      throw new UsageError(`--sort-every: '${[cmd, cmd === 'bench' ? sceneArg : undefined].filter(Boolean).join(' ')}' does not sort particles (run, optimize, gradcheck, export and bench mpm take it)`);
    }
    if (cmd !== undefined) checkCommandArgs(cmd, args, positionals);
    const load = (name: string | undefined, f: string | undefined): Scene => applySortEvery(loadScene(name, f), sortEvery);
    switch (cmd) {
      case undefined: case 'help': case '--help': case '-h':
        console.log(HELP);
        return 0;
      case 'doctor':
        return await doctor();
      case 'run':
        return (await runScene(load(sceneArg, file), { steps: intArg(a.steps, 'steps', 0, 1) || undefined, out: a.out, every: a.every ? intArg(a.every, 'every', 1) : undefined })).interrupted ? 130 : 0;
      case 'list':
        return listScenes(!!a.json);
      case 'mpc':
        return await mpcScene(loadScene(sceneArg, file), { out: a.out, json: !!a.json });
      case 'optimize': {
        if (a.resume !== undefined && (sceneArg !== undefined || file !== undefined)) throw new UsageError('--resume DIR takes the scene from DIR: give no scene');
        if (a.resume !== undefined && sortEvery !== undefined) throw new UsageError('--resume continues a run as it was configured: --sort-every cannot change (only --iterations)');
        // a name beside --scene-file reaches loadScene, which refuses the pair
        const scene = a.resume !== undefined ? undefined : load(file !== undefined ? sceneArg : sceneArg ?? defaultScene, file);
        if (a.iters !== undefined && a.iterations !== undefined) throw new UsageError('give --iters or --iterations, not both');
        const iters = a.iters ?? a.iterations;
        if (a.optimizer !== undefined && !(optimizerNames as readonly string[]).includes(a.optimizer)) throw new UsageError(`--optimizer = ${a.optimizer}: allowed ${optimizerNames.join(', ')}`);
        const r = await optimizeScene(scene, {
          iterations: iters !== undefined ? intArg(iters, a.iters !== undefined ? 'iters' : 'iterations', 1, 1, 100_000) : undefined,
          lr: a.lr ? numArg(a.lr, 'lr', 0.1, 1e-12, 1e6) : undefined,
          steps: a.steps ? intArg(a.steps, 'steps', 1) : undefined,
          checkpoint: checkpointArg(a.checkpoint), out: a.out,
          params: a.params === undefined ? undefined : a.params.split(',').map((s) => s.trim()).filter(Boolean),
          optimizer: a.optimizer as OptimizerName | undefined,
          batch: a.batch !== undefined ? intArg(a.batch, 'batch', 16, 3, 4096) : undefined,
          seed: a.seed !== undefined ? intArg(a.seed, 'seed', 1, 0, 2 ** 31) : undefined,
          clip: a.clip !== undefined ? numArg(a.clip, 'clip', 1, 1e-30, 1e30) : undefined,
          normalize: a.normalize ? true : undefined,
          window: a.window !== undefined ? intArg(a.window, 'window', 1, 1, 100_000) : undefined,
          sigma: a.sigma !== undefined ? numArg(a.sigma, 'sigma', 0.1, 1e-30, 1e30) : undefined,
          resume: a.resume, json: !!a.json,
        });
        return r.summary.interrupted ? 130 : 0;
      }
      case 'gradcheck':
        return await gradcheck(load(sceneArg, file), {
          seed: intArg(a.seed, 'seed', 1, 0, 2 ** 31), steps: a.steps ? intArg(a.steps, 'steps', 1, 1, 10000) : undefined, json: !!a.json,
        });
      case 'bench':
        if (sceneArg === undefined) throw new UsageError(`bench: name a suite: 'bench mpm', 'bench springs', 'bench batch' or 'bench scale'`);
        if (sceneArg === 'springs') return await benchSpringsCmd({ json: !!a.json, quick: !!a.quick, only: a.only, adjoint: adjointArg(a.adjoint) });
        if (sceneArg === 'batch' && a.only !== undefined) throw new UsageError(`--only: 'bench batch' has one scene (it takes --only for 'bench mpm' and 'bench springs')`);
        if (sceneArg === 'scale' && a.adjoint !== undefined) throw new UsageError(`--adjoint: 'bench scale' runs each row's default step adjoint (it takes --adjoint for 'bench springs' and 'bench batch')`);
        if (sceneArg === 'scale') return await benchScaleCmd({ json: !!a.json, quick: !!a.quick, only: a.only });
        if (sceneArg === 'batch') return await benchBatchCmd({ json: !!a.json, quick: !!a.quick, adjoint: adjointArg(a.adjoint) });
        if (sceneArg !== 'mpm') throw new UsageError(`bench ${sceneArg}: allowed 'bench mpm', 'bench springs', 'bench batch' or 'bench scale'`);
        if (a.adjoint !== undefined) throw new UsageError(`--adjoint: 'bench mpm' has one step adjoint (it takes --adjoint for 'bench springs' and 'bench batch')`);
        return await bench({ json: !!a.json, quick: !!a.quick, only: a.only, sortEvery });
      case 'view':
        return await view(sceneArg, intArg(a.port, 'port', 5173, 0, 65535));
      case 'export': {
        const scene = load(sceneArg, file);
        const text = exportSceneJson(scene);
        if (a.out) {
          try { writeFileSync(a.out, text); } catch (e) { throw new UsageError(`--out ${a.out}: cannot write the scene there (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`); }
          console.log(`wrote ${a.out}`);
        } else process.stdout.write(text);
        return 0;
      }
      default:
        throw new UsageError(`unknown command '${cmd}'\n\n${HELP}`);
    }
  } catch (e) {
    const code = e instanceof UsageError ? 2 : exitCodeOf(e);
    if (code !== null) { console.error(code === 3 ? (e as Error).message : `error: ${(e as Error).message}`); return code; }
    if (e instanceof Error && e.name === 'TypeError' && /parseArgs|Unknown option/.test(`${e.stack}`)) { console.error(`error: ${e.message}\n\n${HELP}`); return 2; }
    throw e;
  }
}
