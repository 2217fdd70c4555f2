// Times mpm88, the 88-line C++ MLS-MPM (mls-mpm88.cpp in github.com/yuanming-hu/taichi_mpm), one
// thread, against Torsion's 2D elastoplastic bench rows on the same particles and grid, interleaved
// in one sitting, wall clock, whole rollouts.
//
//   git clone https://github.com/yuanming-hu/taichi_mpm /tmp/taichi_mpm
//   npx vite-node scripts/peers/mpm88.ts -- --dir /tmp/taichi_mpm [--steps 1000] [--rounds 3] [--rows 24k,3k] [--json]
//
// The peer's source is read from its checkout at run time (nothing of it is in this repository) and
// edited as text: its grid resolution becomes the row's (n cells, n + 1 nodes, dx = 1/n, as Torsion's
// res nodes at dx = 1/res), its GUI main() is cut, and a driver main() is appended that loads the
// row's particles (positions and velocities, written by this script), runs T advance(dt) calls and
// prints the seconds they took. It includes scripts/peers/mpm88-shim.h in place of taichi.h (a
// separate download that the repository does not hold). Compiled with g++ -O3 -march=native, one
// thread, as its build instructions do (plus -march=native: lavapipe uses the CPU's SIMD too). Its
// Young's modulus and Poisson ratio become the row's (its own E = 1e4 is unstable at 128 cells);
// the rest (snow plasticity, gravity, sticky walls, dt = 1e-4) is its own, so the rows compare
// throughput at one size, not results. Each round runs the peer's T steps, then Torsion's T-step
// Rollout.forward (checkpoints included, as a user's rollout), back to back.
import '../v8-flags';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { benchCases } from '../../scenes/bench-scenes';
import { MpmSim } from '../../src/mpm/simulator';
import { Rollout } from '../../src/core/rollout';
import { timed } from '../../src/bench/timing';

const args = process.argv.slice(2).filter((a) => a !== '--');
const opt = (name: string, dflt: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const dir = opt('--dir', '');
const T = Number(opt('--steps', '1000'));
const rounds = Number(opt('--rounds', '3'));
const rowNames = opt('--rows', '24k,3k').split(',');
const json = args.includes('--json');
const fail = (msg: string): never => { console.error(`mpm88.ts: ${msg}`); process.exit(2); };
if (!dir) fail('--dir <a checkout of github.com/yuanming-hu/taichi_mpm> is required');
if (!Number.isInteger(T) || T < 1) fail(`--steps ${opt('--steps', '')} must be a positive integer`);
if (!Number.isInteger(rounds) || rounds < 1) fail(`--rounds ${opt('--rounds', '')} must be a positive integer`);

const DRIVER = `
#include <chrono>
#include <cstdio>
int main(int argc, char **argv) {
  FILE *f = std::fopen(argv[1], "rb");
  int count = 0;
  if (!f || std::fread(&count, 4, 1, f) != 1) return 3;
  std::vector<float> b(4 * size_t(count));
  if (std::fread(b.data(), 4, b.size(), f) != b.size()) return 3;
  std::fclose(f);
  int steps = std::atoi(argv[2]);
  for (int i = 0; i < count; i++)
    particles.push_back(Particle(Vec(b[4 * i], b[4 * i + 1]), 0, Vec(b[4 * i + 2], b[4 * i + 3])));
  auto t0 = std::chrono::steady_clock::now();
  for (int s = 0; s < steps; s++) advance(dt);
  auto t1 = std::chrono::steady_clock::now();
  double meanY = 0; bool finite = true;
  for (auto &p : particles) { meanY += p.x.y / count; finite = finite && std::isfinite(p.x.x) && std::isfinite(p.x.y); }
  std::printf("%d %.6f %.6f %d\\n", count, std::chrono::duration<double>(t1 - t0).count(), meanY, int(finite));
  return 0;
}
`;

/** The peer's source with the row's grid, its GUI main() cut and the driver appended. */
function peerSource(n: number, E: number, nu: number): string {
  let src = readFileSync(join(dir, 'mls-mpm88.cpp'), 'utf8');
  const sub = (re: RegExp, to: string) => {
    if (!re.test(src)) fail(`mls-mpm88.cpp no longer has a line matching ${re} (the checkout's version differs)`);
    src = src.replace(re, to);
  };
  sub(/#include "taichi.h"/, `#include "${resolve('scripts/peers/mpm88-shim.h')}"`);
  sub(/const int n = 80\b/, `const int n = ${n}`);
  // its E = 1e4 breaks the CFL bound at 128 cells (wave speed 100 * dt / dx = 1.28): the row's E
  sub(/E = 1e4_f, nu = 0.2_f/, `E = ${E}_f, nu = ${nu}_f`);
  const main = src.indexOf('int main()');
  const end = src.indexOf('} //---', main);
  if (main < 0 || end < 0) fail('mls-mpm88.cpp: its main() was not found');
  return src.slice(0, main) + DRIVER;
}

interface Row { name: string; particles: number; res: number; rounds: { mpm88: number; torsion: number }[]; peerMeanY: [number, number]; peerFinite: boolean }

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'torsion-mpm88-'));
  const gpu: GpuContext = await requestGpu();
  const rows: Row[] = [];
  try {
    for (const name of rowNames) {
      const scene = benchCases().find((c) => c.scene.name === `bench-2d-${name}`)?.scene ?? fail(`--rows: no 2D bench row ${name} (24k, 3k)`);
      const res = scene.grid.res[0];
      if (scene.grid.res[1] !== res || Math.abs(scene.grid.dx - 1 / res) > 1e-12) fail(`${scene.name}: mpm88 needs a square grid with dx = 1/res`);
      const count = scene.particles.group.length;
      const b = new Float32Array(1 + 4 * count);
      new Int32Array(b.buffer)[0] = count;
      for (let i = 0; i < count; i++) b.set([scene.particles.x[2 * i], scene.particles.x[2 * i + 1], scene.particles.v[2 * i], scene.particles.v[2 * i + 1]], 1 + 4 * i);
      const input = join(work, `${name}.bin`);
      writeFileSync(input, b);
      const cpp = join(work, `mpm88-${res}.cpp`);
      const exe = join(work, `mpm88-${res}`);
      const g = scene.groups[0];
      writeFileSync(cpp, peerSource(res, g.E, g.nu));
      execFileSync('g++', ['-O3', '-march=native', '-std=c++17', '-o', exe, cpp], { stdio: 'inherit' });
      const peer = (steps: number) => {
        const [n, seconds, meanY, finite] = execFileSync(exe, [input, String(steps)], { encoding: 'utf8' }).trim().split(' ').map(Number);
        return { n, seconds, meanY, finite: finite === 1 };
      };
      const sim = await MpmSim.create(gpu, { ...scene, steps: T });
      const rollout = new Rollout(sim, T, 'auto');
      try {
        peer(Math.min(T, 50));
        await rollout.forward(); // untimed: pipelines compile
        const row: Row = { name: scene.name, particles: count, res, rounds: [], peerMeanY: [0, 0], peerFinite: true };
        for (let r = 0; r < rounds; r++) {
          const p = peer(T);
          const torsion = await timed(gpu, async () => { await rollout.forward(); });
          row.rounds.push({ mpm88: (T * p.n) / p.seconds, torsion: (T * count) / torsion });
          row.peerMeanY = [scene.particles.x.filter((_, k) => k % 2 === 1).reduce((a, y) => a + y / count, 0), p.meanY];
          row.peerFinite &&= p.finite;
          const q = row.rounds[r];
          if (!json) console.log(`${scene.name} round ${r}: mpm88 ${(q.mpm88 / 1e6).toFixed(2)} M, Torsion ${(q.torsion / 1e6).toFixed(2)} M particle-steps/s (ratio ${(q.torsion / q.mpm88).toFixed(2)})`);
        }
        rows.push(row);
        if (!json) console.log(`${scene.name}: ${count} particles on ${res}^2, ${T} steps; the peer's material after the last round: mean height ${row.peerMeanY[0].toFixed(3)} -> ${row.peerMeanY[1].toFixed(3)}, ${row.peerFinite ? 'all finite' : 'NOT FINITE'}`);
      } finally {
        rollout.destroy();
        sim.destroy();
      }
    }
    if (json) console.log(JSON.stringify({ steps: T, rows }, null, 2));
  } finally {
    gpu.destroy();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
