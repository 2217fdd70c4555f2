// Dawn's busy polling, paced (src/gpu/dawn/dawn-poll.ts): while a device is alive, a native callback
// that keeps rescheduling itself through the global setImmediate (what Dawn's Node binding does
// while a GPU promise is pending) runs about once per millisecond after its first 2 ms; any other
// callback runs as an ordinary Immediate; and the global is restored when the last device goes.
import { expect, test } from 'vitest';
import { requestGpu } from '../../src/gpu/device';

/** How many times a self-rescheduling callback runs in `ms` milliseconds. */
function chainRuns(ms: number, native: boolean): Promise<number> {
  return new Promise((resolve) => {
    const end = performance.now() + ms;
    let runs = 0;
    const tick = function tick(): void {
      runs++;
      if (performance.now() < end) setImmediate(cb);
      else resolve(runs);
    };
    // a bound function prints as native code, as Dawn's callback does
    const cb = native ? tick.bind(null) : tick;
    setImmediate(cb);
  });
}

test('a device paces native polling loops, leaves other Immediates alone, and restores setImmediate', async () => {
  const original = globalThis.setImmediate;
  const before = await chainRuns(60, true);
  const gpu = await requestGpu();
  try {
    expect(globalThis.setImmediate).not.toBe(original);
    const paced = await chainRuns(60, true);
    const plain = await chainRuns(60, false);
    // Unpaced, a chain runs thousands of times in 60 ms; paced, a 2 ms spin and then about one
    // run per millisecond.
    console.log(`60 ms of a native chain: ${before} runs unpaced, ${paced} paced; a JS chain: ${plain}`);
    expect(paced).toBeLessThan(before / 4);
    expect(plain).toBeGreaterThan(4 * paced);
    // an ordinary Immediate: cancellable, and run before a timer set after it
    let ran = false;
    clearImmediate(setImmediate(() => { ran = true; }));
    const order: string[] = [];
    await new Promise<void>((resolve) => {
      setImmediate(() => order.push('immediate'));
      setTimeout(() => { order.push('timer'); resolve(); }, 5);
    });
    expect(ran).toBe(false);
    expect(order).toEqual(['immediate', 'timer']);
    // the device's own promises still resolve
    await gpu.device.queue.onSubmittedWorkDone();
  } finally {
    gpu.destroy();
  }
  expect(globalThis.setImmediate).toBe(original);
});
