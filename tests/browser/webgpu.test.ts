import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowser, type BrowserHarness } from './harness';

let h: BrowserHarness;
beforeAll(async () => { h = await startBrowser({ site: 'dev' }); }); // the fixtures import TypeScript
afterAll(async () => { await h?.close(); });

async function resultOf(path: string): Promise<Record<string, unknown>> {
  await h.page.goto(h.url + path);
  const pre = h.page.locator('#result');
  await pre.filter({ hasNotText: 'pending' }).waitFor({ timeout: 60_000 });
  const json = JSON.parse((await pre.textContent()) ?? '{}');
  expect(json.error, `page logs:\n${h.logs.join('\n')}`).toBeUndefined();
  return json;
}

describe('WebGPU in headless chromium', () => {
  it('gets an adapter and device and runs a compute shader', async () => {
    const r = await resultOf('tests/browser/fixtures/adapter.html');
    expect(r.result).toEqual([2, 4, 6, 8]);
    expect(typeof r.adapter).toBe('string');
  });

  it('runs requestGpu and the reducer, WGSL loaded through ?raw', async () => {
    const r = await resultOf('tests/browser/fixtures/reduce.html');
    // 10000 = 1428 * 7 + 4: each cycle -3..3 sums to 0, the tail -3 - 2 - 1 + 0 to -6.
    expect(r.sum).toBe(-6);
    expect(r.maxAbs).toBe(3);
    expect(r.nonFinite).toBe(true);
    expect(r.errors).toBe(0);
  });
});
