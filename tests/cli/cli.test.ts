// The torsion command as a user runs it: a child process through bin/torsion.mjs, which runs the CLI
// bundled once for this file (tests/helpers/cli-bundle.ts); the first test runs it from the sources.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, test, vi } from 'vitest';
import { main } from '../../src/cli/main';
import { optimizeScene } from '../../src/cli/optimize';
import { mpcScene } from '../../src/cli/mpc';
import { startView, viewTarget } from '../../src/cli/view';
import { recordFrames, runScene } from '../../src/cli/run';
import { requestGpu } from '../../src/gpu/device';
import { createSimulator } from '../../src/simulators';
import { loadScene } from '../../src/cli/args';
import { parseReplay } from '../../src/viewer/replay';
import { withBodyTracks } from '../../src/opt/scene-tracks';
import { validateScene } from '../../src/mpm/validate';
import type { MpmScene } from '../../src/mpm/scene';
import { buildCliBundle } from '../helpers/cli-bundle';

const root = join(__dirname, '..', '..');
let bundle = '';
beforeAll(async () => { bundle = await buildCliBundle(mkdtempSync(join(inject('torsionRunDir'), 'cli-'))); });

/** The environment of a `torsion` process: the bundle, unless `sources`. */
function cliEnv(env: Record<string, string> = {}, sources = false): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, TORSION_CLI_MODULE: bundle, ...env };
  if (sources) delete e.TORSION_CLI_MODULE;
  return e;
}
function torsion(args: string[], env: Record<string, string> = {}, sources = false) {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'torsion.mjs'), ...args], { cwd: root, encoding: 'utf8', env: cliEnv(env, sources), timeout: 240_000 });
  return { code: r.status, out: r.stdout, err: r.stderr, all: `${r.stdout}\n${r.stderr}` };
}
const tmp = () => mkdtempSync(join(tmpdir(), 'torsion-cli-'));

/** console.log and console.error captured (main() in this process prints its results there); restore() puts them back. */
function captureConsole(): { logs: string[]; errors: string[]; restore(): void } {
  const logs: string[] = [], errors: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((m: unknown) => { logs.push(String(m)); });
  const err = vi.spyOn(console, 'error').mockImplementation((m: unknown) => { errors.push(String(m)); });
  return { logs, errors, restore: () => { log.mockRestore(); err.mockRestore(); } };
}

test('doctor prints the adapter and limits (from the sources, through vite-node)', () => {
  const r = torsion(['doctor'], {}, true);
  expect(r.code, r.all).toBe(0);
  expect(r.out).toMatch(/WebGPU adapter: /);
  expect(r.out).toMatch(/maxStorageBufferBindingSize/);
  expect(r.out).toMatch(/subgroups +(\d+ lanes|none of a fixed size)/);
});

test('without a Vulkan driver, commands say so and print the install command', () => {
  const r = torsion(['doctor'], { VK_ICD_FILENAMES: '/nonexistent.json', VK_DRIVER_FILES: '/nonexistent.json' });
  expect(r.code).toBe(3);
  expect(r.err).toMatch(/No WebGPU adapter/);
  expect(r.err).toMatch(/apt-get install -y -t bookworm-backports mesa-vulkan-drivers/);
  expect(r.all).not.toMatch(/at .*\.(ts|js|mjs):\d+/); // no JavaScript stack trace (Dawn logs its own C++ lines)
});

test('run writes the final state and a replay', () => {
  const dir = tmp();
  const r = torsion(['run', 'dam-break-2d', '--steps', '20', '--every', '5', '--out', dir]);
  expect(r.code, r.all).toBe(0);
  const meta = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
  const bytes = readFileSync(join(dir, 'state.bin')).byteLength;
  expect(bytes).toBe(meta.particles * meta.record.stride * 4);
  const replay = JSON.parse(readFileSync(join(dir, 'replay.json'), 'utf8'));
  expect(replay.frames).toBe(5);
  expect(readFileSync(join(dir, 'replay.bin')).byteLength).toBe(replay.frames * replay.particles * replay.dim * 4);
});

test('export writes JSON that --scene-file reads back', () => {
  const dir = tmp();
  const file = join(dir, 'jelly.json');
  expect(torsion(['export', 'jelly-throw-2d', '--out', file]).code).toBe(0);
  const r = torsion(['run', '--scene-file', file, '--steps', '5', '--out', join(dir, 'run')]);
  expect(r.code, r.all).toBe(0);
  expect(existsSync(join(dir, 'run', 'state.bin'))).toBe(true);
});

test('a bad scene file is refused before any GPU work, naming field, value and range', () => {
  const dir = tmp();
  const scene = JSON.parse(torsion(['export', 'jelly-throw-2d']).out);
  scene.groups[0].nu = 0.7;
  const file = join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify(scene));
  const r = torsion(['run', '--scene-file', file]);
  expect(r.code).toBe(2);
  expect(r.err).toMatch(/groups\[0\]\.nu = 0\.7 .*allowed \(0, 0\.5\)/);
  writeFileSync(file, '{ not json');
  const r2 = torsion(['run', '--scene-file', file]);
  expect(r2.code).toBe(2);
  expect(r2.err).toMatch(/JSON/i);
});

test('an OBJ mesh as --scene-file: run drapes it on a ball, export writes the scene to edit; a malformed one names its line', async () => {
  const { logs, errors, restore } = captureConsole();
  const dir = tmp();
  const mesh = join(dir, 'square.obj');
  // a square fanned around its centre, faces written v//vn; vertex 6 is in no face
  writeFileSync(mesh, 'v 0 0 0\nv 1 0 0\nv 1 0 1\nv 0 0 1\nv 0.5 0 0.5\nv 9 9 9\nvn 0 1 0\nf 1//1 2//1 5//1\nf 2//1 3//1 5//1\nf 3//1 4//1 5//1\nf 4//1 1//1 5//1\n');
  try {
    expect(await main(['run', '--scene-file', mesh, '--steps', '20', '--out', join(dir, 'run')]), errors.join('\n')).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'run', 'replay.json'), 'utf8'))).toMatchObject({ scene: 'square', particles: 5 });
    const file = join(dir, 'square.json');
    expect(await main(['export', '--scene-file', mesh, '--out', file])).toBe(0);
    const scene = JSON.parse(readFileSync(file, 'utf8'));
    expect(scene).toMatchObject({ kind: 'shell', name: 'square', colliders: [{ shape: 'sphere' }] });
    expect(scene.triangles.indices.length).toBe(12);
    writeFileSync(join(dir, 'bad.obj'), 'v 0 0 0\nv 1 0 0\nf 1 2 3\n');
    errors.length = 0;
    expect(await main(['run', '--scene-file', join(dir, 'bad.obj')])).toBe(2);
    expect(errors.join('\n')).toMatch(/bad\.obj: OBJ line 3: vertex 3 does not exist/);
  } finally {
    restore();
  }
}, 120_000);

test('particle sorting: export --sort-every writes the field, a run sorts by it to the unsorted final state, --sort-every overrides it; bad values refused', async () => {
  // main() in this process: two short GPU runs, the rest is refused before any GPU work
  const { logs, errors, restore } = captureConsole();
  const dir = tmp();
  const file = join(dir, 'sorted.json');
  const runLine = () => logs.find((l) => /^12 steps of jelly-throw-2d/.test(l)) ?? '';
  try {
    expect(await main(['export', 'jelly-throw-2d', '--sort-every', '4', '--out', file])).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8')).sortEvery).toBe(4);
    const run = ['run', '--scene-file', file, '--steps', '12', '--every', '4'];
    expect(await main([...run, '--out', join(dir, 'sorted')]), errors.join('\n')).toBe(0);
    const sortedLine = runLine();
    logs.length = 0;
    expect(await main([...run, '--sort-every', '0', '--out', join(dir, 'plain')]), errors.join('\n')).toBe(0);
    // the sort did reorder the particles (the simulator's order at the end), and the flag turned it off
    const moved = /sorted every 4 steps: (\d+) of (\d+) particles away from their scene index/.exec(sortedLine);
    expect(moved, sortedLine).not.toBeNull();
    expect(Number(moved![1])).toBeGreaterThan(Number(moved![2]) / 10);
    expect(runLine()).not.toMatch(/sorted/);
    expect(JSON.parse(readFileSync(join(dir, 'sorted', 'scene.json'), 'utf8')).sortEvery).toBe(4);
    expect(JSON.parse(readFileSync(join(dir, 'plain', 'scene.json'), 'utf8')).sortEvery).toBe(0);
    // what is written is in the scene's order: the unsorted run's, to float32 rounding (as in
    // tests/mpm/sorted-rollout.test.ts), each field against its own scale: C (about 0 in free flight,
    // its rounding about ulp(v) / dx) against the largest speed over a cell
    const floats = (r: string, f: string) => { const buf = readFileSync(join(dir, r, f)); return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4); };
    const [a, b] = ['sorted', 'plain'].map((r) => floats(r, 'state.bin'));
    const { record, particles } = JSON.parse(readFileSync(join(dir, 'plain', 'state.json'), 'utf8'));
    const field = (s: Float32Array, k: string) => Float32Array.from({ length: particles * record[k][1] }, (_, j) => s[Math.floor(j / record[k][1]) * record.stride + record[k][0] + (j % record[k][1])]);
    const maxAbs = (s: Float32Array) => s.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    const sub = (s: Float32Array, t: Float32Array) => s.map((x, i) => x - t[i]);
    const diff = (k: string) => maxAbs(sub(field(a, k), field(b, k)));
    expect(a.length).toBe(b.length);
    for (const k of ['x', 'v', 'F']) expect(diff(k) / maxAbs(field(b, k)), k).toBeLessThan(1e-5);
    expect(diff('C') / (maxAbs(field(b, 'v')) / JSON.parse(readFileSync(file, 'utf8')).grid.dx), 'C').toBeLessThan(1e-5);
    const [ra, rb] = ['sorted', 'plain'].map((r) => floats(r, 'replay.bin'));
    expect(ra.length).toBe(rb.length);
    expect(maxAbs(sub(ra, rb)) / maxAbs(rb), 'replay').toBeLessThan(1e-5);
    const bad = { ...JSON.parse(readFileSync(file, 'utf8')), sortEvery: -1 };
    writeFileSync(file, JSON.stringify(bad));
    const allowed = 'allowed an integer >= 0 \\(steps between particle sorts; 0: never sort\\)';
    const cases: [string[], RegExp][] = [
      [['run', '--scene-file', file], new RegExp(`scene\\.sortEvery = -1 is out of range: ${allowed}`)],
      [['run', 'jelly-throw-2d', '--sort-every=-1'], new RegExp(`--sort-every = -1: ${allowed}`)],
      [['gradcheck', 'jelly-throw-2d', '--sort-every', '2.5'], new RegExp(`--sort-every = 2.5: ${allowed}`)],
      [['optimize', 'jelly-throw-2d', '--sort-every', ''], new RegExp(`--sort-every = : ${allowed}`)],
      [['run', 'spring-robot-2d', '--sort-every', '4'], /--sort-every = 4: allowed 0 for a springs scene \(only MPM particles are sorted\)/],
      [['mpc', 'robot-chase-mpc-2d', '--sort-every', '4'], /--sort-every: 'mpc' does not sort particles/],
      [['bench', 'springs', '--sort-every', '4'], /--sort-every: 'bench springs' does not sort particles/],
      [['optimize', '--resume', tmp(), '--sort-every', '4'], /--sort-every cannot change/],
    ];
    for (const [args, message] of cases) {
      errors.length = 0;
      const out = join(tmp(), 'never');
      expect(await main([...args, '--out', out]), args.join(' ')).toBe(2);
      expect(errors.join('\n')).toMatch(message);
      expect(existsSync(out)).toBe(false);
    }
  } finally {
    restore();
  }
});

test('options a command does not take, repeated or negative values, and folders that are not the command\'s are refused before any GPU work', async () => {
  const errors: string[] = [];
  const err = vi.spyOn(console, 'error').mockImplementation((m: unknown) => { errors.push(String(m)); });
  const dir = tmp();
  // an optimization's folder (what --resume reads) and a user's own file
  const opt = join(dir, 'opt');
  mkdirSync(opt);
  for (const f of ['run.json', 'state.json', 'progress.jsonl']) writeFileSync(join(opt, f), '{}\n');
  const mine = join(dir, 'mine');
  mkdirSync(mine);
  writeFileSync(join(mine, 'notes.txt'), 'keep me');
  try {
    const cases: [string[], RegExp][] = [
      [['mpc', 'robot-chase-mpc-2d', '--steps', '100'], /--steps: 'mpc' does not take it \(it takes --out, --json, --scene-file\)/],
      [['run', 'jelly-throw-2d', '--iters', '3'], /--iters: 'run' does not take it/],
      [['list', 'extra'], /'list' takes no arguments, got "extra"/],
      [['run', 'jelly-throw-2d', 'more'], /'run' takes one argument/],
      [['run', 'jelly-throw-2d', '--steps', '5', '--steps', '6'], /--steps is given twice/],
      [['run', 'jelly-throw-2d', '--steps', '-3'], /--steps = -3: allowed an integer in \[1, 10000000\]/],
      [['optimize', 'jelly-throw-2d', '--seed', '-1'], /--seed = -1: allowed an integer in \[0, 2147483648\]/],
      [['run', 'jelly-throw-2d', '--steps', '5', '--out', opt], /--out .*opt holds files 'run' does not write \(progress.jsonl, run.json\)/],
      [['run', 'jelly-throw-2d', '--steps', '5', '--out', mine], /holds files 'run' does not write \(notes.txt\): choose another folder; nothing there was changed/],
      [['run', 'jelly-throw-2d', '--out', join(mine, 'notes.txt')], /a file is there, not a folder/],
      [['optimize', 'jelly-throw-2d', '--out', mine], /holds files 'optimize' does not write \(notes.txt\)/],
      [['run', '--scene-file', dir], /--scene-file .*: a folder, not a scene file/],
      [['export', 'jelly-throw-2d', '--out', join(dir, 'no', 'such', 'x.json')], /--out .*x.json: cannot write the scene there \(ENOENT\)/],
      [['optimize', 'jelly-throw-2d', '--params', 'initialVelocity,initialVelocity'], /--params: 'initialVelocity' is named twice/],
      [['optimize', 'mpm-walker-2d', '--params', 'actuation,actuation.periodic'], /'actuation' and 'actuation.periodic' both set the actuation/],
      [['optimize', 'jelly-throw-2d', '--batch', '8'], /--batch sets the population of cem, spsa and hybrid; adam runs one rollout per iteration/],
      [['bench'], /bench: name a suite/],
      [['bench', 'springs', '--only', 'no-such-row'], /--only "no-such-row": no row's label contains it \(rows: 2D spring robot, cloth 64x64/],
      [['bench', 'mpm', '--adjoint', 'split'], /--adjoint: 'bench mpm' has one step adjoint/],
      [['bench', 'scale', '--only', 'no-such-row'], /--only "no-such-row": no row's label contains it \(rows: 2D elastoplastic, 3D fluid, cloth 256x256/],
      [['bench', 'scale', '--adjoint', 'split'], /--adjoint: 'bench scale' runs each row's default step adjoint/],
      [['bench', 'scale', '--sort-every', '5'], /--sort-every: 'bench scale' does not sort particles/],
      [['view', '--scene-file', join(dir, 'x.json')], /--scene-file: view shows a run folder or a registered scene/],
      // a scene name beside --scene-file is refused, not silently dropped for the file's scene
      [['optimize', 'jelly-sysid-2d', '--scene-file', join(dir, 'x.json')], /give a scene name or --scene-file, not both \(got 'jelly-sysid-2d'/],
      [['export', 'jelly-sysid-2d', '--scene-file', join(dir, 'x.json')], /give a scene name or --scene-file, not both \(got 'jelly-sysid-2d'/],
    ];
    for (const [args, message] of cases) {
      errors.length = 0;
      expect(await main(args), args.join(' ')).toBe(2);
      expect(errors.join('\n'), args.join(' ')).toMatch(message);
      expect(errors.join('\n')).not.toMatch(/ at .*\.(ts|js|mjs):\d+/);
    }
    expect(readFileSync(join(mine, 'notes.txt'), 'utf8')).toBe('keep me');
    expect(readFileSync(join(opt, 'run.json'), 'utf8')).toBe('{}\n');
  } finally {
    err.mockRestore();
  }
});

test('unknown scene, bad option values and unknown commands are usage errors', () => {
  const unknown = torsion(['run', 'no-such-scene']);
  expect(unknown.code).toBe(2);
  expect(unknown.err).toMatch(/unknown scene "no-such-scene": known scenes are jelly-throw-2d/);
  expect(unknown.err).not.toMatch(/ at .*\.(ts|js|mjs):\d+/);
  const r = torsion(['optimize', '--iterations', '0']);
  expect(r.code).toBe(2);
  expect(r.err).toMatch(/--iterations = 0: allowed an integer in \[1, 100000\]/);
  const adj = torsion(['bench', 'springs', '--adjoint', 'fast']);
  expect(adj.code).toBe(2);
  expect(adj.err).toMatch(/--adjoint = fast: allowed auto, split or fused/);
  expect(torsion(['frobnicate']).code).toBe(2);
});

test('gradcheck --json ends with one JSON object and passes', () => {
  const r = torsion(['gradcheck', 'jelly-throw-2d', '--steps', '8', '--json']);
  expect(r.code, r.all).toBe(0);
  // stdout is the JSON line alone; the table went to stderr
  expect(r.out.trim().split('\n')).toHaveLength(1);
  expect(r.err).toMatch(/max relative error .*: PASS/);
  const last = JSON.parse(r.out.trim());
  expect(last.scene).toBe('jelly-throw-2d');
  expect(last.checks.length).toBeGreaterThan(4);
  for (const c of last.checks) expect(Object.keys(c)).toEqual(expect.arrayContaining(['param', 'analytic', 'numeric', 'relError']));
  expect(last.ok).toBe(true);
  expect(last.maxRelError).toBeLessThan(0.05);
});

test('optimize lowers the loss and keeps its results', () => {
  const dir = tmp();
  const r = torsion(['optimize', 'jelly-throw-2d', '--iterations', '4', '--steps', '60', '--out', dir]);
  expect(r.code, r.all).toBe(0);
  const lines = readFileSync(join(dir, 'progress.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  expect(lines.length).toBe(4);
  expect(lines[3].loss).toBeLessThan(lines[0].loss);
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  expect(summary.bestLoss).toBeLessThanOrEqual(lines[0].loss);
  expect(summary.iters).toBe(4);
  for (const f of ['best.json', 'loss.svg', 'replay.json', 'replay.bin', 'run.json', 'state.json', 'scene.json']) expect(existsSync(join(dir, f)), f).toBe(true);
  expect(readFileSync(join(dir, 'loss.svg'), 'utf8')).toMatch(/^<svg[^>]*>[\s\S]*<polyline[\s\S]*<\/svg>\n$/);
});

test('optimize tunes the parameters named by --params (a material parameter), and refuses unknown ones before writing anything', () => {
  const dir = tmp();
  const r = torsion(['optimize', 'jelly-throw-2d', '--params', 'initialVelocity,groups[0].E', '--iterations', '2', '--steps', '30', '--out', dir]);
  expect(r.code, r.all).toBe(0);
  const lines = readFileSync(join(dir, 'progress.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  expect(Object.keys(lines[0].params)).toEqual(['initialVelocity', 'groups[0].E']);
  expect(lines[0].gradientNorm).toBeGreaterThan(0);
  const bad = join(tmp(), 'never');
  const e = torsion(['optimize', 'jelly-throw-2d', '--params', 'groups[9].E', '--out', bad]);
  expect(e.code).toBe(2);
  expect(e.err).toMatch(/'groups\[9\]\.E' is not a parameter of this scene: allowed initialVelocity, groups\[0\]\.E/);
  expect(existsSync(bad)).toBe(false);
});

test('<command> --help prints the help and runs nothing', () => {
  const r = torsion(['bench', '--help']);
  expect(r.code, r.all).toBe(0);
  expect(r.out).toBe(torsion(['help']).out);
});

test('bench --json ends with an array of rows with every field', () => {
  const r = torsion(['bench', 'mpm', '--quick', '--only', '2D elastoplastic 3k', '--json']);
  expect(r.code, r.all).toBe(0);
  const rows = JSON.parse(r.out.trim().split('\n').pop()!);
  expect(rows).toHaveLength(1);
  for (const k of ['dim', 'particles', 'grid', 'material', 'wallRolloutParticleStepsPerSec', 'wallGradientParticleStepsPerSec', 'forwardStepsPerSec', 'particleStepsPerSec', 'rolloutParticleStepsPerSec', 'backwardForwardRatio', 'gradientForwardRatio', 'checkpointMemoryRatio']) {
    expect(rows[0]).toHaveProperty(k);
  }
});

describe('optimize: resume, Ctrl-C, sampling optimizers, bad input', () => {
  const progress = (dir: string) => readFileSync(join(dir, 'progress.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const base = ['optimize', 'spring-robot-2d', '--steps', '120', '--optimizer', 'cem', '--batch', '8', '--seed', '5'];

  test('a run stopped by Ctrl-C saves, exits, and --resume ends where the uninterrupted run ends, byte for byte', async () => {
    const whole = tmp();
    const w = torsion([...base, '--iters', '6', '--out', whole, '--json']);
    expect(w.code, w.all).toBe(0);
    const summary = JSON.parse(w.out.trim().split('\n').pop()!);
    expect(summary).toMatchObject({ scene: 'spring-robot-2d', iters: 6, threshold: null, success: false });
    for (const k of ['initialLoss', 'finalLoss', 'bestLoss']) expect(typeof summary[k]).toBe('number');
    // the same run, interrupted as soon as its first iteration is written
    const cut = tmp();
    const child = spawn(process.execPath, [join(root, 'bin', 'torsion.mjs'), ...base, '--iters', '6', '--out', cut], { cwd: root, env: cliEnv() });
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    const code = await new Promise<number | null>((resolve) => {
      const poll = setInterval(() => {
        if (existsSync(join(cut, 'progress.jsonl')) && readFileSync(join(cut, 'progress.jsonl'), 'utf8').length > 0) { clearInterval(poll); child.kill('SIGINT'); }
      }, 20);
      child.on('exit', (c) => { clearInterval(poll); resolve(c); });
    });
    expect(code, err).toBe(130);
    const stopped = JSON.parse(readFileSync(join(cut, 'summary.json'), 'utf8'));
    expect(stopped.interrupted).toBe(true);
    expect(stopped.iters).toBeLessThan(6);
    // what a kill during a progress line's write leaves: the resume drops the cut-off line
    appendFileSync(join(cut, 'progress.jsonl'), '{"iteration": 5, "loss": 1.2');
    const r = torsion(['optimize', '--resume', cut]);
    expect(r.code, r.all).toBe(0);
    expect(r.out).toMatch(/resuming spring-robot-2d/);
    expect(progress(cut).map((l) => l.loss)).toEqual(progress(whole).map((l) => l.loss));
    expect(readFileSync(join(cut, 'best.json'), 'utf8')).toBe(readFileSync(join(whole, 'best.json'), 'utf8'));
    expect(readFileSync(join(cut, 'replay.bin'))).toEqual(readFileSync(join(whole, 'replay.bin')));
  }, 120_000);

  test('a Ctrl-C after the last iteration, while the best replay is recorded, still writes the replay and summary.json', async () => {
    const dir = tmp();
    const child = spawn(process.execPath, [join(root, 'bin', 'torsion.mjs'), 'optimize', 'jelly-throw-2d', '--iters', '1', '--out', dir], { cwd: root, env: cliEnv() });
    let all = '';
    child.stderr.on('data', (d) => { all += d; });
    // the last iteration's line is printed just before the loop ends: the signal lands in the replay's
    // rollout. Once: a second Ctrl-C means "quit now", and later output would match again
    let sent = false;
    child.stdout.on('data', (d) => { all += d; if (!sent && /iter 1\/1/.test(all)) { sent = true; child.kill('SIGINT'); } });
    const [code, signal] = await new Promise<[number | null, string | null]>((done) => child.on('exit', (c, s) => done([c, s])));
    expect({ code, signal }, all).toEqual({ code: 0, signal: null });
    expect(all).toMatch(/initialVelocity \(2 values\);.*, 1 iteration\n/);
    expect(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'))).toMatchObject({ iters: 1, interrupted: false });
    expect(existsSync(join(dir, 'replay.bin'))).toBe(true);
  }, 120_000);

  /**
   * A 100-step chase re-planned every 50 steps, run in this process with a Ctrl-C sent as the line
   * of step `at` is printed (a known point); its exit code and printed lines.
   */
  async function mpcInterruptedAt(at: number, warmup: number, dir: string): Promise<{ code: number; lines: string[] }> {
    const scene = loadScene('robot-chase-mpc-2d', undefined);
    Object.assign(scene, { steps: 100 });
    scene.mpc = { ...scene.mpc!, horizon: 50, every: 50, iterations: 1, warmup, period: 50, goal: [[0, 0.4, 0.13], [100, 0.45, 0.13]] };
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((s: string) => {
      lines.push(s);
      if (new RegExp(`^step +${at}/100`).test(s)) process.emit('SIGINT');
    });
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      return { code: await mpcScene(scene, { out: join(dir, 'run') }), lines };
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
  }

  test('mpc: a Ctrl-C after the last re-plan interrupted nothing (exit 0, judged)', async () => {
    const dir = tmp();
    const { code, lines } = await mpcInterruptedAt(100, 0, dir);
    expect(code).toBe(0);
    expect(lines.join('\n')).not.toMatch(/interrupted/);
    expect(JSON.parse(readFileSync(join(dir, 'run', 'summary.json'), 'utf8'))).toMatchObject({ steps: 100, interrupted: false });
  }, 120_000);

  test('run: a Ctrl-C stops the rollout and saves the state and replay of the steps that ran (exit 130)', async () => {
    // before, a Ctrl-C killed `torsion run` and a long rollout left nothing behind
    const dir = join(tmp(), 'run');
    const scene = loadScene('spring-robot-2d', undefined);
    const every = 500;
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((s: string) => { lines.push(s); });
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    // once run's handler is listening (a cold kernel compile may come first), and the rollout under way
    const listening = process.listenerCount('SIGINT');
    let sent = false;
    const timer = setInterval(() => {
      if (!sent && process.listenerCount('SIGINT') > listening) { sent = true; setTimeout(() => process.emit('SIGINT'), 500); }
    }, 50);
    let r: Awaited<ReturnType<typeof runScene>>;
    try {
      r = await runScene(scene, { steps: 2_000_000, every, out: dir });
    } finally {
      clearInterval(timer);
      log.mockRestore();
      err.mockRestore();
    }
    expect(r.interrupted).toBe(true);
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
    expect(state.step).toBeGreaterThan(0);
    expect(state.step).toBeLessThan(2_000_000);
    expect(lines.join('\n')).toContain(`interrupted at step ${state.step} of 2000000`);
    const replay = JSON.parse(readFileSync(join(dir, 'replay.json'), 'utf8'));
    expect(replay.frames).toBe(Math.floor(state.step / every) + 1);
    // the saved state is the rollout's state at that step, byte for byte
    const gpu = await requestGpu();
    const sim = await createSimulator(gpu, scene);
    try {
      const whole = await recordFrames(sim, state.step, every);
      expect(Buffer.from(readFileSync(join(dir, 'state.bin'))).equals(Buffer.from(whole.final.buffer, whole.final.byteOffset, whole.final.byteLength))).toBe(true);
      expect(readFileSync(join(dir, 'replay.bin')).length).toBe(replay.frames * whole.frames[0].byteLength);
    } finally {
      sim.destroy();
      gpu.destroy();
    }
  }, 120_000);

  test('mpc: a Ctrl-C before the warmup ends says no distance was judged, not NaN (exit 130)', async () => {
    const dir = tmp();
    const { code, lines } = await mpcInterruptedAt(50, 80, dir);
    expect(code).toBe(130);
    const last = lines.at(-1)!;
    expect(last).toMatch(/^largest distance after step 80: none \(no step after it ran\) \(tolerance 0\.06: interrupted at step 50 of 100: not judged\)/);
    expect(last).not.toMatch(/NaN/);
    expect(JSON.parse(readFileSync(join(dir, 'run', 'summary.json'), 'utf8'))).toMatchObject({ steps: 50, interrupted: true, maxDistanceAfterWarmup: null });
  }, 120_000);

  test('an MLP controller run\'s replay holds the actuation rows its controller wrote, not the scene\'s it overwrote', async () => {
    // the page colours a replay by the rows in its scene; a controller's scene.json keeps the open-loop
    // rows it starts from, which never ran
    const dir = join(tmp(), 'run');
    const base = loadScene('spring-walker-2d', undefined);
    const scene = { ...base, steps: 30, actuation: { channels: 4, values: base.actuation!.values!.slice(0, 120) } };
    await optimizeScene(scene, { steps: 30, iterations: 1, out: dir, quiet: true });
    const replay = JSON.parse(readFileSync(join(dir, 'replay.json'), 'utf8')) as { tracks?: Record<string, number[][]> };
    const rows = replay.tracks?.actuation;
    expect(rows).toHaveLength(30);
    const start = scene.actuation.values;
    expect(rows!.flat().some((a, i) => Math.abs(a - start[i]) > 1e-3)).toBe(true);
    // what the page draws: the scene with them written in, still a valid scene
    expect(() => validateScene(withBodyTracks(loadScene(undefined, join(dir, 'scene.json')), replay.tracks!))).not.toThrow();
    // and a forward run's replay of the same scene
    const runDir = join(tmp(), 'fwd');
    await runScene(scene, { out: runDir });
    const fwd = JSON.parse(readFileSync(join(runDir, 'replay.json'), 'utf8')) as { tracks?: Record<string, number[][]> };
    expect(fwd.tracks?.actuation).toHaveLength(30);
    expect(fwd.tracks!.actuation.flat().some((a, i) => Math.abs(a - start[i]) > 1e-3)).toBe(true);
  }, 120_000);

  test('best-scene.json is the best point as a scene file: run gives back its best loss; a --window past the steps is named', async () => {
    const dir = join(tmp(), 'run');
    const scene = { ...loadScene('jelly-throw-2d', undefined), steps: 30 } as MpmScene;
    const { logs, restore } = captureConsole();
    try {
      const r = await optimizeScene(scene, { iterations: 3, window: 50, out: dir });
      expect(logs.join('\n')).toMatch(/--window 50 reaches back past all 30 steps: each backward is the whole one/);
      const tuned = loadScene(undefined, join(dir, 'best-scene.json')) as MpmScene;
      expect(tuned.particles.v[0]).not.toBe(scene.particles.v[0]); // the tuned initial velocity
      logs.length = 0;
      await runScene(tuned, { out: join(tmp(), 'fwd') });
      expect(logs.join('\n')).toContain(`loss ${r.summary.bestLoss!.toExponential(4)} (com-target; a second rollout of the 30 steps)`);
    } finally {
      restore();
    }
  }, 120_000);

  test('a loss that reports a metric (region-fraction: the exact fraction inside) has it in progress.jsonl and summary.json', async () => {
    const dir = join(tmp(), 'run');
    const r = await optimizeScene(loadScene('fluid-push-3d', undefined), { steps: 40, iterations: 2, out: dir, quiet: true });
    const lines = progress(dir);
    for (const l of lines) { expect(l.report).toBeGreaterThanOrEqual(0); expect(l.report).toBeLessThanOrEqual(1); }
    expect(r.summary.bestMetric).toBeGreaterThanOrEqual(0);
    expect(r.summary.bestMetric).toBeLessThanOrEqual(1);
    expect(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')).bestMetric).toBe(r.summary.bestMetric);
    // The best replay carries the tuned paddle's tracks (scene.json keeps the start's, for --resume):
    // the viewer drew the paddle on the start's track, a cell behind the fluid it pushed.
    const replay = parseReplay(readFileSync(join(dir, 'replay.json'), 'utf8'), new Uint8Array(readFileSync(join(dir, 'replay.bin'))).slice().buffer);
    const start = JSON.parse(readFileSync(join(dir, 'scene.json'), 'utf8')) as MpmScene;
    const moved = replay.tracks?.['colliders[0].position'];
    expect(moved, 'replay.json has tracks').toBeDefined();
    const best = withBodyTracks(start, replay.tracks!) as MpmScene;
    validateScene(best);
    const last = (t: number[][]) => t[Math.min(39, t.length - 1)][0];
    expect(last(best.colliders[0].position)).toBe(last(moved!));
    expect(Math.abs(last(moved!) - last(start.colliders[0].position))).toBeGreaterThan(1e-4);
  }, 120_000);

  test('--normalize: gd steps exactly lr along the gradient, and run.json keeps it', async () => {
    const dir = join(tmp(), 'run');
    await optimizeScene(loadScene('jelly-throw-2d', undefined), { steps: 20, iterations: 2, optimizer: 'gd', lr: 0.1, normalize: true, out: dir, quiet: true });
    const [a, b] = progress(dir).map((l) => l.params.initialVelocity as number[]);
    expect(Math.hypot(b[0] - a[0], b[1] - a[1])).toBeCloseTo(0.1, 6);
    expect(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).normalize).toBe(true);
  }, 120_000);

  test('spsa, gd and hybrid run and keep the best point', async () => {
    // in this process (the command line's parsing is covered above): three runs, no process starts;
    // gd takes no population (a usage error)
    for (const opt of ['spsa', 'gd', 'hybrid'] as const) {
      const dir = join(tmp(), 'run');
      const r = await optimizeScene(loadScene('spring-robot-2d', undefined), { steps: 60, optimizer: opt, ...(opt === 'gd' ? {} : { batch: 5 }), iterations: 3, lr: 0.02, clip: 1, out: dir, quiet: true });
      expect(r.summary.optimizer).toBe(opt);
      expect(r.summary.bestLoss!).toBeLessThanOrEqual(r.summary.initialLoss!);
      expect(progress(dir)).toHaveLength(3);
      // a short hybrid run samples for half its iterations, then takes gradients
      if (opt === 'hybrid') expect(progress(dir).map((r) => r.gradientNorm !== null)).toEqual([false, false, true]);
    }
  }, 120_000);

  test('bad options, a foreign or used folder: a clear message, exit 2, nothing written', async () => {
    // main() in this process: a usage error is refused before any GPU work or file
    const errors: string[] = [];
    const logged: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((m: unknown) => { errors.push(String(m)); });
    const logSpy = vi.spyOn(console, 'log').mockImplementation((m: unknown) => { logged.push(String(m)); });
    const run = async (args: string[]) => { errors.length = 0; logged.length = 0; const code = await main(args); return { code, err: errors.join('\n'), out: logged }; };
    try {
      const cases: [string[], RegExp][] = [
        [['--optimizer', 'newton'], /--optimizer = newton: allowed adam, gd, cem, spsa, hybrid/],
        [['--lr', '0'], /--lr = 0: allowed a number in/],
        [['--batch', '2'], /--batch = 2: allowed an integer in \[3, 4096\]/],
        [['--iters', '0'], /--iters = 0: allowed an integer in \[1, 100000\]/],
        [['--window', '0'], /--window = 0: allowed an integer in \[1, 100000\]/],
        [['--normalize', '--clip', '1'], /--normalize and --clip both shape the gradient: give one/],
      ];
      for (const [args, message] of cases) {
        const out = join(tmp(), 'never');
        const r = await run(['optimize', 'spring-robot-2d', ...args, '--out', out]);
        expect(r.code, r.err).toBe(2);
        expect(r.err).toMatch(message);
        expect(existsSync(out)).toBe(false);
      }
      // batch copies the device cannot hold: refused before the folder is made (the population used to be made at the first iteration)
      const big = join(tmp(), 'never');
      const huge = await run(['optimize', 'mpm-walker-2d', '--optimizer', 'cem', '--batch', '4096', '--steps', '5', '--out', big]);
      expect(huge.code, huge.err).toBe(2);
      expect(huge.err).toMatch(/x 4096 copies .* allowed at most \d+ bytes per buffer/);
      expect(existsSync(big)).toBe(false);
      expect((await run(['optimize', '--resume', tmp()])).err).toMatch(/no run\.json there/);
      expect((await run(['optimize', 'spring-robot-2d', '--resume', tmp()])).err).toMatch(/--resume DIR takes the scene from DIR/);
      const used = join(tmp(), 'run');
      await optimizeScene(loadScene('spring-robot-2d', undefined), { steps: 20, iterations: 2, out: used, quiet: true });
      const before = readFileSync(join(used, 'progress.jsonl'), 'utf8');
      const again = await run(['optimize', 'spring-robot-2d', '--steps', '20', '--iters', '1', '--out', used]);
      expect(again.code).toBe(2);
      expect(again.err).toMatch(/holds an optimization already: continue it with --resume/);
      expect((await run(['optimize', '--resume', used, '--lr', '0.5'])).err).toMatch(/--lr cannot change/);
      const fewer = await run(['optimize', '--resume', used, '--iters', '1']);
      expect(fewer.code).toBe(2);
      expect(fewer.err).toMatch(/--iters = 1: .* has done 2 iterations already, and --iters is the total to reach: allowed at least 2/);
      // a folder whose saved parameters no longer fit the scene
      const state = JSON.parse(readFileSync(join(used, 'state.json'), 'utf8'));
      state.loop.best.theta.pop();
      writeFileSync(join(used, 'state.json'), JSON.stringify(state));
      const foreign = await run(['optimize', '--resume', used, '--iters', '3']);
      expect(foreign.code).toBe(2);
      expect(foreign.err).toMatch(/saved parameters have \d+ values, this scene's actuation.periodic have \d+/);
      expect(readFileSync(join(used, 'progress.jsonl'), 'utf8')).toBe(before);
      // a step size that throws the jelly at 1e6: the second iteration's rollout blows up, which
      // names its step, and Adam steps back to its best point at half the rate; the third blow-up
      // without a better point (still 2.5e5) stops the run: exit 4, and the results so far stay
      const wild = join(tmp(), 'run');
      const blown = await run(['optimize', 'jelly-throw-2d', '--steps', '30', '--iters', '8', '--lr', '1e6', '--out', wild, '--json']);
      expect(blown.code, blown.err).toBe(4);
      expect(blown.err).toMatch(/warning: rollout blew up at step \d+.*back to the best point at half the rate \(1 of 2/);
      expect(blown.err).not.toMatch(/\.; back to/); // the blow-up's own sentence and the step back read as one
      expect(blown.err).toMatch(/error: rollout blew up at step \d+/);
      expect(progress(wild).map((l) => l.loss === null)).toEqual([false, true, false, true, false]);
      for (const f of ['best.json', 'state.json', 'replay.bin']) expect(existsSync(join(wild, f)), f).toBe(true);
      expect(JSON.parse(readFileSync(join(wild, 'summary.json'), 'utf8'))).toMatchObject({ iters: 5, success: false, error: expect.stringMatching(/blew up at step/) });
      // --json still ends with the summary line, its error included
      expect(JSON.parse(blown.out.at(-1) ?? 'null')).toMatchObject({ iters: 5, success: false, error: expect.stringMatching(/blew up at step/) });
    } finally {
      spy.mockRestore();
      logSpy.mockRestore();
    }
  }, 120_000);
});

test('list --json names every scene with its kind and what it optimizes', () => {
  const r = torsion(['list', '--json']);
  expect(r.code, r.all).toBe(0);
  const rows = JSON.parse(r.out.trim().split('\n').pop()!);
  const fold = rows.find((x: { name: string }) => x.name === 'cloth-fold-3d');
  expect(fold).toMatchObject({ kind: 'shell', dim: 3, loss: 'match-pairs', optimize: { params: ['grippers[0].waypoints', 'grippers[1].waypoints'] } });
  expect(rows.find((x: { name: string }) => x.name === 'jelly-throw-2d').kind).toBe('mpm');
});

test('bench batch --json: a row per batch size with every field', () => {
  const r = torsion(['bench', 'batch', '--quick', '--json']);
  expect(r.code, r.all).toBe(0);
  const rows = JSON.parse(r.out.trim().split('\n').pop()!);
  expect(rows.map((x: { batch: number }) => x.batch)).toEqual([1, 8]);
  for (const row of rows) for (const k of ['batch', 'copyStepsPerSec', 'gradientCopyStepsPerSec', 'speedup']) expect(row[k], k).toBeGreaterThan(0);
}, 120_000);

test('view on a port already in use (npm run dev\'s 5173, say) says so and how to pick another, exit 2', async () => {
  const { createServer } = await import('node:net');
  const busy = createServer();
  await new Promise<void>((done) => busy.listen(0, '127.0.0.1', done));
  const port = (busy.address() as { port: number }).port;
  const errors: string[] = [];
  const err = vi.spyOn(console, 'error').mockImplementation((m: unknown) => { errors.push(String(m)); });
  try {
    expect(await main(['view', 'jelly-throw-2d', '--port', String(port)])).toBe(2);
    expect(errors.join('\n')).toMatch(new RegExp(`^error: --port ${port}: the port is in use .*--port 0`));
  } finally {
    err.mockRestore();
    await new Promise((done) => busy.close(done));
  }
});

test('view serves a scene file alone (a scene\'s JSON, an OBJ mesh) for the page to open; another file is refused', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'mesh.obj'), 'v 0 0 0\nv 1 0 0\nv 0 0 1\nf 1 2 3\n');
  writeFileSync(join(dir, 'secret.txt'), 'not served');
  const target = viewTarget(join(dir, 'mesh.obj'));
  expect(target.query).toBe('?file=run/mesh.obj');
  const server = await startView(target, 0);
  try {
    const base = server.url.slice(0, server.url.indexOf('?'));
    expect(await (await fetch(`${base}run/mesh.obj`)).text()).toBe(readFileSync(join(dir, 'mesh.obj'), 'utf8'));
    expect((await fetch(`${base}run/secret.txt`)).status).toBe(404);
  } finally {
    await server.close();
  }
  expect(() => viewTarget(join(dir, 'secret.txt'))).toThrow(/a file the page cannot open: give a scene's \.json, an \.obj mesh, or a run folder/);
}, 60_000);

test('view serves the page with a run folder\'s replay, until Ctrl-C; a bad target is refused', async () => {
  const dir = tmp();
  expect(torsion(['run', 'jelly-drop-2d', '--steps', '4', '--every', '2', '--out', dir]).code).toBe(0);
  const child = spawn(process.execPath, [join(root, 'bin', 'torsion.mjs'), 'view', dir, '--port', '0'], { cwd: root, env: cliEnv() });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  try {
    await vi.waitFor(() => { if (!/http:\/\/127\.0\.0\.1:\d+\/\?replay=run\//.test(out)) throw new Error(out); }, { timeout: 60_000, interval: 200 });
    const url = /http:\/\/\S+/.exec(out)![0];
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('src/viewer/main.ts');
    const base = url.slice(0, url.indexOf('?'));
    expect(Buffer.from(await (await fetch(`${base}run/replay.bin`)).arrayBuffer()).equals(readFileSync(join(dir, 'replay.bin')))).toBe(true);
    expect((await fetch(`${base}run/state.bin`)).status).toBe(404); // only the replay's files
  } finally {
    child.kill('SIGINT');
  }
  expect(await exited).toBe(0);
  const bad = torsion(['view', tmp()]);
  expect(bad.code).toBe(2);
  expect(bad.err).toMatch(/not a run folder with a replay \(no replay\.json or replay\.bin\)/);
  expect(torsion(['view', 'no-such-scene']).err).toMatch(/not a scene; known scenes are jelly-throw-2d/);
}, 120_000);
