// The split step adjoint's self-contact neighbour list (adjoint.split.wgsl): adj_lambda's replay
// keeps up to KEPT_NEIGHBOURS (16) of each vertex's vertex-vertex neighbours, and a vertex with
// more searches the grid again in the gather. A crowd whose vertices have 40-odd neighbours each,
// straddling a cell corner, beside a sparse line whose vertices have a few: the gradient matches
// float64 central differences, and the list's capacity compiled down to 0 and 2 or up to 64, and
// the fused path (which always searches), give the same bytes: a list cut at its capacity would
// lose most of the crowd's pair terms and fail both.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import { Rollout } from '../../src/core/rollout';
import { gradcheck } from '../../src/core/gradcheck';
import { mulberry32 } from '../../src/core/rng';
import { KEPT_NEIGHBOURS, SpringSim, type AdjointPath } from '../../src/springs/simulator';
import { springGradcheckSubject } from '../../src/springs/gradcheck-subject';
import { SC_CELL } from '../../src/springs/layout';
import type { SpringScene } from '../../src/springs/scene';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

const H = 0.02, CROWD = 40, LINE = 16;

/** CROWD vertices in a ball of radius 0.4 H around a grid corner, and LINE vertices 0.6 H apart in a line well away; one of each pinned. */
function crowdAndLine(steps: number): SpringScene {
  const r = mulberry32(11), c = 10 * SC_CELL * H;
  const x: number[] = [], v: number[] = [];
  while (x.length < 3 * CROWD) {
    const p = [0, 1, 2].map(() => 0.8 * (r() - 0.5));
    if (Math.hypot(...p) < 0.4) x.push(...p.map((y) => c + H * y));
  }
  for (let k = 0; k < LINE; k++) x.push(c + 0.3 + 0.6 * H * k, c + 0.1 * H * (r() - 0.5), c + 0.1 * H * (r() - 0.5));
  const n = CROWD + LINE;
  for (let k = 0; k < 3 * n; k++) v.push(0.2 * (r() - 0.5));
  return {
    kind: 'springs', name: 'crowd-and-line', dim: 3, dt: 1e-4, steps, gravity: [0, 0, 0], extent: [1, 1, 1],
    materials: [{ name: 'none', stiffness: 1, damping: 0 }],
    vertices: { x, v, mass: new Array(n).fill(1e-2) },
    // a pinned vertex keeps its list outside the replay (adj_lambda), in the crowd and in the line
    pinned: [0, CROWD],
    selfContact: { thickness: H, stiffness: 100 },
  };
}

/** Each vertex's count of others closer than H. */
function neighbourCounts(s: SpringScene): number[] {
  const x = s.vertices.x, n = x.length / 3;
  return Array.from({ length: n }, (_, i) => {
    let c = 0;
    for (let j = 0; j < n; j++) if (j !== i && Math.hypot(x[3 * i] - x[3 * j], x[3 * i + 1] - x[3 * j + 1], x[3 * i + 2] - x[3 * j + 2]) < H) c++;
    return c;
  });
}

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

/** dL/dstate0 of a checkpointed T-step rollout with fixed final-state weights, per batch copy. */
async function gradient(scene: SpringScene, T: number, o: { adjoint: AdjointPath; keptNeighbours?: number; batch?: number }): Promise<Float32Array[]> {
  const sim = await SpringSim.create(gpu, scene, o);
  const B = sim.batch, per = sim.stateBytes / 4 / B;
  const w = new Float32Array(sim.stateBytes / 4);
  for (let k = 0; k < w.length; k++) w[k] = Math.sin(0.37 * (k % per) + 1);
  const r = new Rollout(sim, T, 'auto');
  expect((await r.forward()).badStep).toBeNull();
  const gFinal = sim.createState('w', w);
  const g0 = await readF32(gpu.device, await r.backward(gFinal));
  expect(sim.adjointPath).toBe(o.adjoint);
  gFinal.destroy();
  r.destroy();
  sim.destroy();
  return Array.from({ length: B }, (_, b) => g0.slice(b * per, (b + 1) * per));
}

test(`the scene has vertices past the list's ${KEPT_NEIGHBOURS} neighbours and vertices within it`, () => {
  const nb = neighbourCounts(crowdAndLine(1));
  console.log(`neighbours: crowd ${Math.min(...nb.slice(0, CROWD))}-${Math.max(...nb.slice(0, CROWD))}, line ${Math.min(...nb.slice(CROWD))}-${Math.max(...nb.slice(CROWD))}`);
  expect(Math.min(...nb.slice(0, CROWD))).toBeGreaterThan(2 * KEPT_NEIGHBOURS);
  expect(Math.max(...nb.slice(CROWD))).toBeLessThanOrEqual(2);
  expect(Math.min(...nb.slice(CROWD))).toBeGreaterThan(0);
});

test('the split adjoint of a crowd (40-odd neighbours a vertex) matches float64 central differences', async () => {
  const subject = await springGradcheckSubject(gpu, crowdAndLine(4), { adjoint: 'split' });
  try {
    const r = await gradcheck(subject, { steps: 4, seed: 5 });
    console.log(`crowd-and-line 4 steps: max rel ${r.maxRelError.toExponential(2)}`, r.checks.map((c) => `${c.param}:${c.verdict}:${c.relError?.toExponential(1)}`).join(' '));
    expect(r.ok).toBe(true);
  } finally {
    subject.destroy?.();
  }
}, 400e3);

test('the list\'s capacity (0, 2, 16, 64) and the fused path give the same bytes, and each batch copy its single run\'s', async () => {
  const T = 6, scene = crowdAndLine(T);
  const [kept] = await gradient(scene, T, { adjoint: 'split' });
  expect(kept.some((y) => y !== 0)).toBe(true);
  for (const k of [0, 2, 64]) {
    const [g] = await gradient(scene, T, { adjoint: 'split', keptNeighbours: k });
    expect(bytes(g), `keptNeighbours ${k}`).toBe(bytes(kept));
  }
  const [fused] = await gradient(scene, T, { adjoint: 'fused' });
  expect(bytes(fused)).toBe(bytes(kept));
  const copies = await gradient(scene, T, { adjoint: 'split', batch: 2 });
  for (const g of copies) expect(bytes(g)).toBe(bytes(kept));
}, 600e3);

test('keptNeighbours out of range is refused by name', async () => {
  await expect(SpringSim.create(gpu, crowdAndLine(1), { keptNeighbours: -1 })).rejects.toThrow(/keptNeighbours = -1: allowed an integer 0 to 256/);
});
