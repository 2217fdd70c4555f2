// The page's walker demo holds the speed it is commanded: the stored weights
// (scenes/data/spring-walker-demo-2d.json) commanded each trained speed from rest for 4 s, the speed
// held from 1 s on near the command, forward, and in the commands' order. The same measurement as
// scripts/train-walker-demo.ts's report (heldSpeeds), on this machine's driver.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { heldSpeeds } from '../../src/control/held-speed';
import { validateScene } from '../../src/mpm/validate';
import { build, TRAIN_SPEEDS } from '../../scenes/spring-walker-demo-2d';

/** Held speed within TOL_REL of the command, or TOL_ABS m/s of it (the walker's gait is erratic period to period: about 0.01 m/s of the 3 s mean is noise). */
const TOL_REL = 0.3, TOL_ABS = 0.03;
const STEPS = 4000, FROM = 1000;

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

test('spring-walker-demo-2d: the stored controller holds each trained speed from 1 s to 4 s', async () => {
  const data = JSON.parse(readFileSync(new URL('../../scenes/data/spring-walker-demo-2d.json', import.meta.url), 'utf8')) as { weights: number[] };
  const { held } = await heldSpeeds(gpu, validateScene(build()), data.weights, TRAIN_SPEEDS, { steps: STEPS, from: FROM, every: 500 });
  console.log('commanded -> held (m/s): ' + TRAIN_SPEEDS.map((s, c) => `${s} -> ${held[c].toFixed(3)}`).join(', '));
  TRAIN_SPEEDS.forEach((s, c) => {
    expect(Math.abs(held[c] - s), `held ${held[c].toFixed(3)} m/s at a command of ${s}`).toBeLessThanOrEqual(Math.max(TOL_REL * s, TOL_ABS));
    if (c > 0) expect(held[c], `held at ${s} over held at ${TRAIN_SPEEDS[c - 1]}`).toBeGreaterThan(held[c - 1]);
  });
}, 120_000);
