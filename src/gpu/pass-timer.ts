// GPU time of compute passes from timestamp queries (for the benchmarks): summed per tag, and each
// pass's own reading. A pass gets its begin and end timestamps through the descriptor `pass()`
// returns; `collect()` resolves everything written so far, adds each pass's duration to its tag's
// total and returns the durations pass by pass.

/** One timed pass: its tag and GPU seconds. */
export interface PassReading { tag: string; seconds: number }

export class PassTimer {
  private readonly querySet: GPUQuerySet;
  private readonly resolveBuf: GPUBuffer;
  private readonly readBuf: GPUBuffer;
  private pending: string[] = [];
  private readonly totals = new Map<string, number>();

  /** `passes`: how many passes may be timed between two collects. */
  constructor(readonly device: GPUDevice, readonly passes = 1024) {
    if (!device.features.has('timestamp-query')) throw new Error('PassTimer needs a device with timestamp-query');
    this.querySet = device.createQuerySet({ type: 'timestamp', count: 2 * passes });
    this.resolveBuf = device.createBuffer({ size: 16 * passes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    this.readBuf = device.createBuffer({ size: 16 * passes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  /** A descriptor that times the pass under `tag`. */
  pass(label: string, tag: string): GPUComputePassDescriptor {
    const k = this.pending.length;
    if (k >= this.passes) throw new RangeError(`PassTimer: more than ${this.passes} passes before collect()`);
    this.pending.push(tag);
    return { label, timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 2 * k, endOfPassWriteIndex: 2 * k + 1 } };
  }

  /**
   * Reads back the passes encoded since the last collect (submit them first) into the totals, and
   * returns their readings in the order `pass()` was called.
   */
  async collect(): Promise<PassReading[]> {
    const n = this.pending.length;
    if (!n) return [];
    const enc = this.device.createCommandEncoder({ label: 'pass-timer.resolve' });
    enc.resolveQuerySet(this.querySet, 0, 2 * n, this.resolveBuf, 0);
    enc.copyBufferToBuffer(this.resolveBuf, 0, this.readBuf, 0, 16 * n);
    this.device.queue.submit([enc.finish()]);
    await this.readBuf.mapAsync(GPUMapMode.READ, 0, 16 * n);
    const t = new BigUint64Array(this.readBuf.getMappedRange(0, 16 * n).slice(0));
    this.readBuf.unmap();
    const readings = this.pending.map((tag, k) => ({ tag, seconds: Number(t[2 * k + 1] - t[2 * k]) / 1e9 }));
    for (const { tag, seconds } of readings) this.totals.set(tag, (this.totals.get(tag) ?? 0) + seconds);
    this.pending = [];
    return readings;
  }

  /** Seconds of GPU time collected under `tag`. */
  total(tag: string): number {
    return this.totals.get(tag) ?? 0;
  }

  reset(): void {
    this.totals.clear();
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolveBuf.destroy();
    this.readBuf.destroy();
  }
}
