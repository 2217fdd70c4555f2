// saveReplay (torsion/node) takes what recordFrames returns, as docs/library.md composes them, and
// its frames alone: the same files either way.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { createSimulator, recordFrames } from '../../src/index';
import { saveReplay } from '../../src/node';
import type { SpringScene } from '../../src/springs/scene';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

test('saveReplay writes recordFrames\' result as it is, and its frames, to the same files', async () => {
  const scene: SpringScene = {
    kind: 'springs', name: 'pair', dim: 2, dt: 1e-3, steps: 4, gravity: [0, -9.8], extent: [1, 1],
    materials: [{ name: 'm', stiffness: 10, damping: 0 }],
    vertices: { x: [0.4, 0.5, 0.5, 0.5], v: [0, 0, 0, 0], mass: [1, 1] }, springs: { pairs: [0, 1], material: [0] },
  };
  const sim = await createSimulator(gpu, scene);
  const dir = mkdtempSync(join(tmpdir(), 'torsion-replay-'));
  try {
    const rec = await recordFrames(sim, 4, 2);
    saveReplay(join(dir, 'whole'), scene, sim, rec, 2);
    saveReplay(join(dir, 'frames'), scene, sim, rec.frames, 2);
    const bin = (d: string) => readFileSync(join(dir, d, 'replay.bin'));
    expect(bin('whole').length).toBe(3 * 2 * 2 * 4); // 3 frames of 2 vertices in 2D, float32
    expect(bin('whole').equals(bin('frames'))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'whole', 'replay.json'), 'utf8')).frames).toBe(3);
    // a replay of the wrong speed or of another simulator's frames is refused before a file is written
    // (every = 0 and every = 3 for frames recorded every 2 steps were written as given)
    expect(() => saveReplay(join(dir, 'zero'), scene, sim, rec, 0)).toThrow('saveReplay: every = 0: allowed an integer >= 1');
    expect(() => saveReplay(join(dir, 'three'), scene, sim, rec, 3)).toThrow('saveReplay: every = 3, but these frames were recorded every 2 steps: allowed 2');
    expect(() => saveReplay(join(dir, 'short'), scene, sim, [rec.frames[0].subarray(2)], 2)).toThrow('saveReplay: frames[0] has 2 floats: allowed a Float32Array of 4');
    expect(() => saveReplay(join(dir, 'none'), scene, sim, [], 2)).toThrow('saveReplay: no frames');
    expect(existsSync(join(dir, 'zero')) || existsSync(join(dir, 'three')) || existsSync(join(dir, 'short'))).toBe(false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    sim.destroy();
  }
});
