// A small seeded RNG (mulberry32, Tommy Ettinger's 32-bit generator) so that scenes with jittered
// particles are the same on every machine and every run: scenes are data, not dice rolls. Its one
// word of state is exposed (Random.state) so an optimizer saved at iteration k and resumed draws
// exactly what the uninterrupted run draws.

export class Random {
  private a: number;

  constructor(seed: number) { this.a = seed >>> 0; }

  /** Uniform in [0, 1). */
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal (Box-Muller; one draw per call, so the stream does not depend on a cached pair). */
  gauss(): number {
    return Math.sqrt(-2 * Math.log(1 - this.next())) * Math.cos(2 * Math.PI * this.next());
  }

  get state(): number { return this.a; }
  set state(s: number) { this.a = s >>> 0; }
}

/** Returns a function giving uniform floats in [0, 1), fully determined by `seed`. */
export function mulberry32(seed: number): () => number {
  const r = new Random(seed);
  return () => r.next();
}
