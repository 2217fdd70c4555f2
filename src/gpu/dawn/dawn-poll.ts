// Dawn's event polling in Node, paced so that it does not take a CPU core from a CPU driver.
//
// Dawn's Node binding resolves GPU promises (onSubmittedWorkDone, mapAsync) by polling: while any is
// pending it passes a native callback to the global setImmediate, which processes Dawn's events and
// schedules itself again, a busy loop on the JavaScript thread. On a CPU Vulkan driver (lavapipe) that
// loop competes with the driver's workers for the same cores: unpaced, the JavaScript thread used
// as much CPU time as each of lavapipe's workers (docs/performance.md).
//
// So while a Dawn instance is alive the global setImmediate is wrapped: any callback but a native one
// goes through unchanged. Dawn's is native; JavaScript code can only pass a native function as a
// bound one, which would then be paced too, and still run. A run of Dawn's polls spins for its
// first SPIN_MS, which keeps a short wait (a small readback) as quick as before, and then polls
// every POLL_MS on a timer: a wait ends at most about a millisecond late. GpuPacer (src/gpu/pacer.ts) still sleeps through most of a
// long wait without polling at all.
const SPIN_MS = 2;
const POLL_MS = 1;
/** A poll later than this after the last one starts a new run (a new wait). */
const RUN_GAP_MS = 20;

type SetImmediate = typeof globalThis.setImmediate;

let original: SetImmediate | null = null;

const fnToString = Function.prototype.toString;
function isNative(f: unknown): boolean {
  return typeof f === 'function' && fnToString.call(f).endsWith('{ [native code] }');
}

/** Wraps the global setImmediate (idempotent); undo with unpaceDawnPolling. */
export function paceDawnPolling(): void {
  if (original || typeof globalThis.setImmediate !== 'function') return;
  const orig = globalThis.setImmediate;
  original = orig;
  let runStart = 0;
  let lastPoll = -Infinity;
  const paced = ((cb: (...a: unknown[]) => void, ...args: unknown[]) => {
    if (!isNative(cb)) return orig(cb, ...args);
    const now = performance.now();
    if (now - lastPoll > RUN_GAP_MS) runStart = now;
    lastPoll = now;
    if (now - runStart < SPIN_MS) return orig(cb, ...args);
    // still a real Immediate for the caller; the poll itself waits on a timer
    return orig(() => { setTimeout(cb, POLL_MS, ...args); });
  }) as SetImmediate;
  // keeps setImmediate.__promisify__ and the like
  Object.assign(paced, orig);
  globalThis.setImmediate = paced;
}

/** Restores the global setImmediate that paceDawnPolling wrapped. */
export function unpaceDawnPolling(): void {
  if (!original) return;
  globalThis.setImmediate = original;
  original = null;
}
