// Times WebGPU-Ocean's MLS-MPM fluid (github.com/matsuoka-601/WebGPU-Ocean) on the same Dawn device
// as Torsion's 3D fluid bench row, interleaved in one process, wall clock, whole rollouts.
//
//   git clone https://github.com/matsuoka-601/WebGPU-Ocean /tmp/ocean
//   npx vite-node scripts/peers/webgpu-ocean.ts -- --dir /tmp/ocean [--steps 1000] [--rounds 3] [--json]
//
// The peer's WGSL is read from its checkout at run time (nothing of it is in this repository); this
// file is only a host for it, written after the peer's own host (mls-mpm/mls-mpm.ts): the same
// pipeline constants, the same dam-break fill (spacing 0.65 grid cells, jittered, capped at the
// particle count), one substep = clear grid, p2g_1, p2g_2, update grid, g2p. Its copyPosition pass
// feeds the renderer only and is left out. Its grid is 40 x 30 x 60 unit cells, as Torsion's
// bench-3d-fluid-70k, and the particle count is that row's. Both sides submit 32 substeps per
// command buffer; each round times the peer's T substeps and Torsion's T-step Rollout.forward
// (checkpoints included, as a user's rollout) back to back, so both see the machine's speed of the
// moment. The physics differ (the peer is a weakly compressible fluid with its own constants), so
// this compares throughput at one size, not results.
import '../v8-flags';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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
const json = args.includes('--json');
if (!dir) {
  console.error('webgpu-ocean.ts: --dir <a checkout of github.com/matsuoka-601/WebGPU-Ocean> is required');
  process.exit(2);
}
if (!Number.isInteger(T) || T < 1) { console.error(`webgpu-ocean.ts: --steps ${opt('--steps', '')} must be a positive integer`); process.exit(2); }

const PARTICLE_BYTES = 80; // position vec3f, v vec3f, C mat3x3f, as the peer's struct lays them out
const CELL_BYTES = 16;
const PER_SUBMIT = 32;

/** A seeded generator, so both sides of every round start from the same particles. */
function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class OceanPeer {
  private passes: { pipeline: GPUComputePipeline; bind: GPUBindGroup; count: number }[] = [];
  private particles: GPUBuffer;
  private cells: GPUBuffer;
  private uniforms: GPUBuffer[] = [];
  readonly n: number;
  private initial: ArrayBuffer;

  constructor(private device: GPUDevice, box: [number, number, number], maxParticles: number) {
    const wgsl = (f: string) => device.createShaderModule({ label: `ocean.${f}`, code: readFileSync(join(dir, 'mls-mpm', `${f}.wgsl`), 'utf8') });
    const constants = { stiffness: 3, rest_density: 4, dynamic_viscosity: 0.1, dt: 0.2, fixed_point_multiplier: 1e7 };
    const pipe = (f: string, keys: (keyof typeof constants)[]) => device.createComputePipeline({
      label: `ocean.${f}`, layout: 'auto',
      compute: { module: wgsl(f), constants: Object.fromEntries(keys.map((k) => [k, constants[k]])) },
    });
    // the dam break: the lower 80% of the height, x in [3, X-4), z in the near half from 3
    const rand = mulberry32(1);
    const pos: number[] = [];
    for (let j = 0; j < box[1] * 0.8 && pos.length / 3 < maxParticles; j += 0.65) {
      for (let i = 3; i < box[0] - 4 && pos.length / 3 < maxParticles; i += 0.65) {
        for (let k = 3; k < box[2] / 2 && pos.length / 3 < maxParticles; k += 0.65) {
          const jitter = 2 * rand();
          pos.push(i + jitter, j + jitter, k + jitter);
        }
      }
    }
    this.n = pos.length / 3;
    this.initial = new ArrayBuffer(PARTICLE_BYTES * this.n);
    const f = new Float32Array(this.initial);
    for (let p = 0; p < this.n; p++) f.set(pos.slice(3 * p, 3 * p + 3), (PARTICLE_BYTES / 4) * p);
    const gridCount = box[0] * box[1] * box[2];
    this.particles = device.createBuffer({ label: 'ocean.particles', size: this.initial.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
    this.cells = device.createBuffer({ label: 'ocean.cells', size: CELL_BYTES * gridCount, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    const boxBuf = () => {
      const b = device.createBuffer({ label: 'ocean.box', size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(b, 0, new Float32Array([...box, 0]));
      this.uniforms.push(b);
      return b;
    };
    const realBox = boxBuf();
    const initBox = boxBuf();
    const add = (f: string, keys: (keyof typeof constants)[], buffers: GPUBuffer[], count: number) => {
      const pipeline = pipe(f, keys);
      const bind = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })) });
      this.passes.push({ pipeline, bind, count: Math.ceil(count / 64) });
    };
    add('clearGrid', [], [this.cells], gridCount);
    add('p2g_1', ['fixed_point_multiplier'], [this.particles, this.cells, initBox], this.n);
    add('p2g_2', ['fixed_point_multiplier', 'stiffness', 'rest_density', 'dynamic_viscosity', 'dt'], [this.particles, this.cells, initBox], this.n);
    add('updateGrid', ['fixed_point_multiplier', 'dt'], [this.cells, realBox, initBox], gridCount);
    add('g2p', ['fixed_point_multiplier', 'dt'], [this.particles, this.cells, realBox, initBox], this.n);
  }

  /** Mean height of the initial fill, in cells: the fluid must fall below it. */
  initialMeanHeight(): number {
    const f = new Float32Array(this.initial);
    let m = 0;
    for (let i = 0; i < this.n; i++) m += f[(PARTICLE_BYTES / 4) * i + 1] / this.n;
    return m;
  }

  reset() { this.device.queue.writeBuffer(this.particles, 0, this.initial); }

  async run(steps: number) {
    for (let s0 = 0; s0 < steps; s0 += PER_SUBMIT) {
      const enc = this.device.createCommandEncoder({ label: 'ocean' });
      const pass = enc.beginComputePass();
      for (let s = s0; s < Math.min(steps, s0 + PER_SUBMIT); s++) {
        for (const p of this.passes) { pass.setPipeline(p.pipeline); pass.setBindGroup(0, p.bind); pass.dispatchWorkgroups(p.count); }
      }
      pass.end();
      this.device.queue.submit([enc.finish()]);
    }
    await this.device.queue.onSubmittedWorkDone();
  }

  async positions(): Promise<Float32Array> {
    const read = this.device.createBuffer({ size: PARTICLE_BYTES * this.n, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = this.device.createCommandEncoder();
    enc.copyBufferToBuffer(this.particles, 0, read, 0, PARTICLE_BYTES * this.n);
    this.device.queue.submit([enc.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    const out = new Float32Array(read.getMappedRange().slice(0));
    read.destroy();
    return out;
  }

  destroy() { for (const b of [this.particles, this.cells, ...this.uniforms]) b.destroy(); }
}

async function main() {
  const gpu: GpuContext = await requestGpu();
  const scene = benchCases().find((c) => c.scene.name === 'bench-3d-fluid-70k')!.scene;
  const sim = await MpmSim.create(gpu, { ...scene, steps: T });
  const box = scene.grid.res as [number, number, number];
  const peer = new OceanPeer(gpu.device, box, sim.packed.n);
  const rollout = new Rollout(sim, T, 'auto');
  const rows: { round: number; ocean: number; torsion: number }[] = [];
  try {
    // untimed: pipelines compile and buffers are first touched on both sides
    peer.reset(); await peer.run(Math.min(T, 64));
    await rollout.forward();
    for (let r = 0; r < rounds; r++) {
      peer.reset();
      const ocean = await timed(gpu, () => peer.run(T));
      const torsion = await timed(gpu, async () => { await rollout.forward(); });
      rows.push({ round: r, ocean: (T * peer.n) / ocean, torsion: (T * sim.packed.n) / torsion });
      if (!json) console.log(`round ${r}: WebGPU-Ocean ${(rows[r].ocean / 1e6).toFixed(2)} M, Torsion ${(rows[r].torsion / 1e6).toFixed(2)} M particle-steps/s (ratio ${(rows[r].torsion / rows[r].ocean).toFixed(2)})`);
    }
    // the peer must have simulated something: its fluid has fallen and spread, and nothing is NaN
    const p = await peer.positions();
    let finite = true;
    let meanY = 0;
    for (let i = 0; i < peer.n; i++) { const y = p[(PARTICLE_BYTES / 4) * i + 1]; finite &&= Number.isFinite(y); meanY += y / peer.n; }
    const summary = { particles: { ocean: peer.n, torsion: sim.packed.n }, grid: box, steps: T, rounds: rows, peerMeanHeight: { initial: peer.initialMeanHeight(), final: meanY }, peerFinite: finite };
    if (json) console.log(JSON.stringify(summary, null, 2));
    else console.log(`particles: WebGPU-Ocean ${peer.n}, Torsion ${sim.packed.n}; grid ${box.join('x')}; the peer's fluid after the last round: mean height ${peer.initialMeanHeight().toFixed(2)} -> ${meanY.toFixed(2)} cells, ${finite ? 'all finite' : 'NOT FINITE'}`);
  } finally {
    rollout.destroy();
    peer.destroy();
    sim.destroy();
    gpu.destroy();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
