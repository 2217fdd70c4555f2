// Draws frames of a 2D `torsion run` replay as an SVG strip, one panel per frame, particles coloured
// by speed (from the frame before). It makes the README's picture; nothing imports it.
//
//   node bin/torsion.mjs run dam-break-2d --steps 1200 --every 12 --out /tmp/dam
//   npx vite-node scripts/render-scene-svg.ts /tmp/dam docs/img/dam-break-2d.svg --frames 0,40,100
//
// Reads replay.json, replay.bin and scene.json from the run folder (src/cli/run.ts writes them).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface Replay { dim: number; particles: number; batch: number; frames: number; stepsPerFrame: number; dt: number }
interface SceneInfo { name: string; grid: { res: number[]; dx: number }; boundary: { boundCells?: number } }

const PANEL = 320; // px across one panel
const GAP = 12;
const LABEL = 22;
// blue (slow) to yellow (fast), a few buckets: one <path> per bucket keeps the file small
const PALETTE = ['#23395b', '#2b5d8a', '#2f86a6', '#34a6a0', '#5cc38a', '#a4d86e', '#f2e55c'];

function usage(): never {
  console.error('usage: vite-node scripts/render-scene-svg.ts <run-dir> <out.svg> [--frames i,j,k] [--copy B]');
  process.exit(2);
}

function parse(argv: string[]): { dir: string; out: string; frames: number[] | null; copy: number } {
  const pos: string[] = [];
  let frames: number[] | null = null;
  let copy = 0;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--frames') frames = (argv[++i] ?? usage()).split(',').map(Number);
    else if (argv[i] === '--copy') copy = Number(argv[++i] ?? usage());
    else pos.push(argv[i]);
  }
  if (pos.length !== 2) usage();
  return { dir: pos[0], out: pos[1], frames, copy };
}

function main(): void {
  const o = parse(process.argv.slice(2).filter((a) => a !== '--'));
  const rep = JSON.parse(readFileSync(join(o.dir, 'replay.json'), 'utf8')) as Replay;
  const scene = JSON.parse(readFileSync(join(o.dir, 'scene.json'), 'utf8')) as SceneInfo;
  if (rep.dim !== 2) throw new Error(`replay of ${scene.name} is ${rep.dim}D: this script draws 2D replays only`);
  const bin = readFileSync(join(o.dir, 'replay.bin'));
  const pos = new Float32Array(bin.buffer, bin.byteOffset, bin.byteLength / 4);
  const n = rep.particles;
  const frames = o.frames ?? [0, rep.frames >> 1, rep.frames - 1];
  for (const f of frames) {
    if (!Number.isInteger(f) || f < 0 || f >= rep.frames) throw new Error(`--frames: ${f} is not a frame (0..${rep.frames - 1})`);
  }
  if (!Number.isInteger(o.copy) || o.copy < 0 || o.copy >= rep.batch) throw new Error(`--copy ${o.copy}: allowed 0..${rep.batch - 1}`);
  const at = (f: number, p: number, d: number) => pos[((f * rep.batch + o.copy) * n + p) * 2 + d];

  const { res, dx } = scene.grid;
  const width = res[0] * dx;
  // crop the empty top of the box: up to the highest particle of the frames drawn, plus a margin
  let top = 0;
  for (const f of frames) for (let p = 0; p < n; p++) top = Math.max(top, at(f, p, 1));
  const height = Math.min(res[1] * dx, top + 8 * dx);
  const s = PANEL / width; // px per domain unit
  const ph = Math.ceil(height * s);
  const frameDt = rep.stepsPerFrame * rep.dt;

  // speeds over every drawn frame but the first of the replay (no frame before it): one scale for all panels
  const speeds = frames.map((f) => {
    const v = new Float32Array(n);
    if (f > 0) for (let p = 0; p < n; p++) v[p] = Math.hypot(at(f, p, 0) - at(f - 1, p, 0), at(f, p, 1) - at(f - 1, p, 1)) / frameDt;
    return v;
  });
  let vmax = 0;
  for (const v of speeds) for (const x of v) vmax = Math.max(vmax, x);

  const dot = Math.max(1.2, 0.6 * dx * s); // particles are half a cell apart at rest
  const wall = (scene.boundary.boundCells ?? 3) * dx * s;
  const W = frames.length * PANEL + (frames.length - 1) * GAP;
  const H = ph + LABEL;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="13">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
  ];
  frames.forEach((f, k) => {
    const x0 = k * (PANEL + GAP);
    const buckets: string[][] = PALETTE.map(() => []);
    for (let p = 0; p < n; p++) {
      const b = vmax > 0 ? Math.min(PALETTE.length - 1, Math.floor((speeds[k][p] / vmax) * PALETTE.length)) : 0;
      const px = x0 + at(f, p, 0) * s;
      const py = ph - at(f, p, 1) * s;
      buckets[b].push(`M${px.toFixed(1)} ${py.toFixed(1)}h0`);
    }
    parts.push(`<rect x="${x0}" y="0" width="${PANEL}" height="${ph}" fill="#f4f4f0"/>`);
    // the wall band the grid update applies the boundary in
    parts.push(`<path d="M${x0} 0h${wall.toFixed(1)}V${(ph - wall).toFixed(1)}H${(x0 + PANEL - wall).toFixed(1)}V0h${wall.toFixed(1)}V${ph}H${x0}Z" fill="#d9d6cc"/>`);
    buckets.forEach((d, b) => {
      if (d.length) parts.push(`<path d="${d.join('')}" stroke="${PALETTE[b]}" stroke-width="${dot.toFixed(2)}" stroke-linecap="round"/>`);
    });
    const step = f * rep.stepsPerFrame;
    parts.push(`<text x="${x0 + 4}" y="${ph + 16}" fill="#333">${scene.name}, step ${step} (t = ${(step * rep.dt).toFixed(3)} s)</text>`);
  });
  parts.push('</svg>');
  writeFileSync(o.out, `${parts.join('\n')}\n`);
  console.log(`wrote ${o.out}: frames ${frames.join(', ')} of ${scene.name}, ${n} particles, speed scale 0..${vmax.toPrecision(3)}`);
}

main();
