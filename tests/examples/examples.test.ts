// The examples as a user runs them, `npx torsion exec examples/<file>.ts`: a child process through
// bin/torsion.mjs and vite-node, the program importing the package by name ('torsion').
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';

const root = join(__dirname, '..', '..');
function torsion(args: string[], cwd = root) {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'torsion.mjs'), ...args], { cwd, encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, out: r.stdout, err: r.stderr, all: `${r.stdout}\n${r.stderr}` };
}
const num = (s: string, re: RegExp): number => {
  const m = s.match(re);
  if (!m) throw new Error(`no ${re} in:\n${s}`);
  return Number(m[1]);
};

test('cloth-reach: its own loss on the host, the adjoint agrees with a central difference, the corner closes in, a replay', () => {
  const out = mkdtempSync(join(tmpdir(), 'torsion-example-'));
  const r = torsion(['exec', 'examples/cloth-reach.ts', '--quick', '--out', out]);
  expect(r.code, r.all).toBe(0);
  const adjoint = num(r.out, /adjoint (\S+),/), numeric = num(r.out, /central difference (\S+)/);
  expect(Math.abs(adjoint - numeric) / Math.abs(numeric)).toBeLessThan(1e-2);
  const best = num(r.out, /best: corner (\S+) mm/), start = num(r.out, /started (\S+) mm/);
  expect(best).toBeLessThan(start / 2);
  const replay = JSON.parse(readFileSync(join(out, 'replay.json'), 'utf8'));
  expect(replay.particles).toBe(49);
  expect(readFileSync(join(out, 'replay.bin')).byteLength).toBe(replay.frames * replay.particles * 3 * 4);
  expect(JSON.parse(readFileSync(join(out, 'scene.json'), 'utf8')).kind).toBe('shell');
});

test('obj-drape: an OBJ mesh fitted into the box, run at half its own stable dt, rests on the ball without passing through', () => {
  const out = mkdtempSync(join(tmpdir(), 'torsion-example-'));
  const r = torsion(['exec', 'examples/obj-drape.ts', '--quick', '--out', out]);
  expect(r.code, r.all).toBe(0);
  // the napkin's centre vertex is in no face (the hole): dropped, 81 -> 80
  expect(r.out).toMatch(/60 polygons -> 120 triangles, 80 vertices; stable up to dt \S+ s \(vertex \d+, held by membrane\)/);
  expect(num(r.out, /(\d+) vertices on the ball/)).toBeGreaterThan(0);
  expect(num(r.out, /deepest inside the ball (\S+) mm/)).toBeLessThan(3); // the contact's softness is 2 mm
  const replay = JSON.parse(readFileSync(join(out, 'replay.json'), 'utf8'));
  expect(replay.particles).toBe(80);
  expect(readFileSync(join(out, 'replay.bin')).byteLength).toBe(replay.frames * 80 * 3 * 4);
  const bad = join(out, 'bad.obj');
  writeFileSync(bad, 'v 0 0 0\nv 1 0 0\nf 1 2 3\n');
  const refused = torsion(['exec', 'examples/obj-drape.ts', '--obj', bad]);
  expect(refused.code).toBe(2);
  expect(refused.err).toContain('OBJ line 3: vertex 3 does not exist');
});

test('jelly-aim: a batched fan of throws, then Adam through the adjoint lands closer', () => {
  const r = torsion(['exec', 'examples/jelly-aim.ts', '--quick']);
  expect(r.code, r.all).toBe(0);
  const fan = num(r.out, /fan of 16 throws in one batched rollout: .*miss (\S+)/);
  const best = num(r.out, /best: .*centre (\S+) from the target/);
  expect(best).toBeLessThan(fan);
});

test('exec: a program outside the package imports it by name; a bad scene is refused before GPU work, exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'torsion-user-'));
  const file = join(dir, 'mine.ts');
  writeFileSync(file, `import { clothGrid, createSimulator, requestGpu, type SpringScene } from 'torsion';
const mesh = clothGrid({ nx: 2, ny: 2, size: [0.1, 0.1], origin: [0.5, 0.5, 0.5], plane: 'xz', density: 0.1 });
const scene: SpringScene = { kind: 'shell', name: 'mine', dim: 3, dt: -0.001, steps: 10, gravity: [0, -9.8, 0], extent: [1, 1, 1],
  materials: [{ name: 'm', stiffness: 1, damping: 0, mu: 1, lambda: 1 }], vertices: mesh.vertices, triangles: mesh.triangles };
const gpu = await requestGpu();
try { await createSimulator(gpu, scene); console.log('created'); } finally { gpu.destroy(); }
`);
  const r = torsion(['exec', file], dir);
  expect(r.code, r.all).toBe(2);
  expect(r.err).toMatch(/SceneError: .*dt = -0\.001.*allowed/);
  expect(r.out).not.toMatch(/created/);
  expect(r.all).not.toMatch(/at .*\.(ts|js|mjs):\d+/); // the message, not a stack trace
});

test('exec without a file, or with a missing one: a usage message, exit 2', () => {
  const none = torsion(['exec']);
  expect(none.code).toBe(2);
  expect(none.err).toMatch(/usage: torsion exec <file/);
  const missing = torsion(['exec', 'no-such-program.ts']);
  expect(missing.code).toBe(2);
  expect(missing.err).toMatch(/no-such-program\.ts: no such file/);
  expect(existsSync(join(root, 'no-such-program.ts'))).toBe(false);
});
