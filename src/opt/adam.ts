// Adam (Kingma & Ba 2015) on a flat parameter vector, in float64 on the host: the parameters we
// optimize here (initial velocities, material constants, control tracks) are small.
export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export class Adam {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private t = 0;
  /** Learning rate; a caller may change it between steps (schedules). */
  lr: number;
  private readonly b1: number;
  private readonly b2: number;
  private readonly eps: number;

  constructor(readonly size: number, o: AdamOptions) {
    if (!(o.lr > 0)) throw new RangeError(`learning rate = ${o.lr}: allowed > 0`);
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
    this.lr = o.lr;
    this.b1 = o.beta1 ?? 0.9;
    this.b2 = o.beta2 ?? 0.999;
    this.eps = o.eps ?? 1e-8;
  }

  /** Forgets the moment estimates (after an overshoot, so momentum does not carry the iterate further away). */
  reset(): void {
    this.m.fill(0);
    this.v.fill(0);
    this.t = 0;
  }

  /** Everything a resumed run needs (the rate is the caller's). */
  save(): { m: number[]; v: number[]; t: number } {
    return { m: Array.from(this.m), v: Array.from(this.v), t: this.t };
  }

  load(s: unknown): void {
    const v = s as { m: number[]; v: number[]; t: number };
    if (v.m.length !== this.size || v.v.length !== this.size) throw new RangeError(`Adam: a saved state of ${v.m.length} values, expected ${this.size}`);
    this.m.set(v.m);
    this.v.set(v.v);
    this.t = v.t;
  }

  /** Updates params in place from grad (dL/dparams). */
  step(params: Float64Array, grad: ArrayLike<number>): void {
    if (grad.length !== this.size || params.length !== this.size) {
      throw new RangeError(`Adam.step: params has ${params.length} values and grad ${grad.length}: allowed ${this.size} each (the size this Adam was made with)`);
    }
    // one NaN would stay in the moment estimates for good, and every later step of that entry be NaN
    for (let i = 0; i < this.size; i++) {
      if (!Number.isFinite(grad[i])) throw new RangeError(`Adam.step: grad[${i}] = ${grad[i]} is not finite: allowed finite numbers (nothing was changed)`);
    }
    this.t++;
    const c1 = 1 - this.b1 ** this.t;
    const c2 = 1 - this.b2 ** this.t;
    for (let i = 0; i < this.size; i++) {
      const g = grad[i];
      this.m[i] = this.b1 * this.m[i] + (1 - this.b1) * g;
      this.v[i] = this.b2 * this.v[i] + (1 - this.b2) * g * g;
      params[i] -= (this.lr * (this.m[i] / c1)) / (Math.sqrt(this.v[i] / c2) + this.eps);
    }
  }
}
