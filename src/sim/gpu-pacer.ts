// Waiting for the GPU without taking a CPU core from it.
//
// Dawn in Node polls for completion, on the JavaScript thread, for as long as any GPU promise
// (onSubmittedWorkDone, mapAsync) is pending: a busy loop. On a CPU Vulkan driver (lavapipe,
// SwiftShader) that loop competes with the driver's own worker threads for the same cores; on two
// cores an MPM step ran 1.5-1.8x slower while the host awaited it than while the host slept.
// So callers report what they submit, in rough units of work, and wait through idle(): it sleeps
// (a timer: no pending promise, no polling) for most of the time the work should take, learned
// from earlier waits, and only then polls for the rest. On a real GPU the poll costs nothing
// and the sleep ends before the work does, so nothing is lost there either.
export class GpuPacer {
  /** Learned milliseconds per unit of work; 0 until the first wait has measured some. */
  private msPerUnit = 0;
  private units = 0;
  private start = 0;

  /** Fraction of the predicted time slept before polling: below 1, so a fast run is not overslept. */
  static readonly SLEEP_FRACTION = 0.85;

  constructor(private readonly queue: GPUQueue) {}

  /** Records work just submitted: `units` of it (one MPM step = 1; see ADJOINT_STEP_UNITS). */
  submitted(units: number): void {
    if (!(units > 0)) return;
    if (this.units === 0) this.start = performance.now();
    this.units += units;
  }

  /** Resolves when every submitted command has run. */
  async idle(): Promise<void> {
    const units = this.units;
    this.units = 0;
    if (units > 0 && this.msPerUnit > 0) {
      const left = this.start + GpuPacer.SLEEP_FRACTION * units * this.msPerUnit - performance.now();
      if (left > 2) await new Promise((resolve) => setTimeout(resolve, left));
    }
    const woke = performance.now();
    await this.queue.onSubmittedWorkDone();
    if (units === 0) return;
    const end = performance.now();
    let per = (end - this.start) / units;
    // Finished before we woke: the estimate was long by an unknown amount, so shrink it faster.
    if (end - woke < 1) per *= 0.7;
    this.msPerUnit = this.msPerUnit > 0 ? 0.5 * (this.msPerUnit + per) : per;
  }
}

/** Work of one step adjoint (grid recompute included) in forward-step units, for GpuPacer. */
export const ADJOINT_STEP_UNITS = 2.5;
