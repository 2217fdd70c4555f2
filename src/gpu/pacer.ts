// Waiting for the GPU without taking a CPU core from it.
//
// Dawn in Node polls for completion, on the JavaScript thread, for as long as any GPU promise
// (onSubmittedWorkDone, mapAsync) is pending: a busy loop. On a CPU Vulkan driver (lavapipe,
// SwiftShader) that loop competes with the driver's own worker threads for the same cores, which
// then get much less of each core than while the host sleeps. So callers report what they submit and wait through idle(): it sleeps (a timer: no
// pending promise, no polling) for most of the time the work should take, learned from earlier
// waits for the same kind of work, and only then polls for the rest. On a real GPU the sleep ends
// before the work does and the poll costs little, so nothing is lost there.
export class GpuPacer {
  /** Learned milliseconds per unit, per kind of work (e.g. one forward step of one simulator). */
  private readonly ms = new Map<string, number>();
  private readonly pending = new Map<string, number>();
  /** Kinds whose last wait overslept: their next wait polls from the start, to measure afresh. */
  private readonly probe = new Set<string>();
  private start = 0;

  /**
   * Fraction of the predicted time slept before polling. Well below 1: on a shared machine the
   * same work varies from run to run, and an oversleep idles the device, which costs more
   * than polling for the rest.
   */
  static readonly SLEEP_FRACTION = 0.7;

  /**
   * Told once per process, while a first wait for some kind of work runs past `afterMs`: the
   * driver compiles a pipeline at its first dispatch, which on a CPU adapter can take minutes with
   * no output (the CLI explains this to its user; null: nobody is told).
   */
  static slowFirstWait: { afterMs: number; notify: () => void } | null = null;

  constructor(private readonly queue: GPUQueue) {}

  /** The learned milliseconds per unit of `kind`, or undefined before its first wait. */
  estimate(kind: string): number | undefined {
    return this.ms.get(kind);
  }

  /** Records work just submitted: `units` of the kind `kind` (a caller-chosen key). */
  submitted(kind: string, units: number): void {
    if (!(units > 0)) return;
    if (this.pending.size === 0) this.start = performance.now();
    this.pending.set(kind, (this.pending.get(kind) ?? 0) + units);
  }

  /** Resolves when every submitted command has run. */
  async idle(): Promise<void> {
    const work = [...this.pending];
    this.pending.clear();
    let known = 0;
    let unknownUnits = 0;
    for (const [kind, u] of work) {
      const ms = this.ms.get(kind);
      if (ms === undefined) unknownUnits += u;
      else known += u * ms;
    }
    // Sleep only on a full prediction (an unknown kind might be most of the work) that no oversleep
    // has put in doubt.
    const measure = work.some(([kind]) => this.probe.has(kind));
    let slept = 0;
    if (work.length && unknownUnits === 0 && !measure) {
      const left = this.start + GpuPacer.SLEEP_FRACTION * known - performance.now();
      if (left > 2) {
        const t0 = performance.now();
        await new Promise((resolve) => setTimeout(resolve, left));
        slept = performance.now() - t0;
      }
    }
    const woke = performance.now();
    const notice = unknownUnits > 0 ? GpuPacer.slowFirstWait : null;
    const timer = notice ? setTimeout(() => {
      if (GpuPacer.slowFirstWait !== notice) return;
      GpuPacer.slowFirstWait = null;
      notice.notify();
    }, notice.afterMs) : undefined;
    try {
      await this.queue.onSubmittedWorkDone();
    } finally {
      clearTimeout(timer);
    }
    if (!work.length) return;
    const end = performance.now();
    const actual = end - this.start;
    if (unknownUnits > 0) {
      // Known kinds keep their estimates; the unknown ones share what is left. A kind's first wait
      // also holds its pipelines' compilation (lavapipe compiles at the first dispatch: a minute on
      // a cold cache), so the next wait measures afresh instead of sleeping on this figure.
      const rest = actual - known;
      if (rest > 0) {
        for (const [kind] of work) {
          if (this.ms.has(kind)) continue;
          this.ms.set(kind, rest / unknownUnits);
          this.probe.add(kind);
        }
      }
      return;
    }
    // One kind learns per wait: the one with most of the predicted time. The others keep their
    // estimates and their predicted share is taken off the measurement (a backward is steps and
    // adjoints together; its error is the adjoints', as pure forward waits keep the steps' right).
    let kind = work[0][0];
    let units = work[0][1];
    let others = 0;
    for (const [k, u] of work) if (u * this.ms.get(k)! > units * this.ms.get(kind)!) { kind = k; units = u; }
    for (const [k, u] of work) if (k !== kind) others += u * this.ms.get(k)!;
    const est = this.ms.get(kind)!;
    const per = Math.max(actual - others, 0.1 * actual) / units;
    if (measure) {
      // a wait without sleep: the time is the work's own
      this.ms.set(kind, per);
      for (const [k] of work) this.probe.delete(k);
    } else if (slept > 0 && end - woke < Math.max(1, 0.1 * slept)) {
      // Done before we woke: the work took less than we slept, by an unknown amount. Halve the
      // estimate and measure on the next wait: one oversleep at most. "Before" allows for the
      // driver's completion callback, which can come a few milliseconds after a long sleep; a
      // right estimate leaves about 0.4 of the sleep still to wait (SLEEP_FRACTION 0.7).
      this.ms.set(kind, est * Math.min(0.5, per / est));
      this.probe.add(kind);
    } else {
      // Oversleeping idles the device, polling only slows it down: so follow a shorter measurement
      // at once and a longer one slowly.
      this.ms.set(kind, per < est ? per : est + 0.25 * (per - est));
    }
  }
}
