// Float64 reference rollouts, and tangents along given states (tangentAlong), in child processes
// (worker.ts), for gradient checks that run dozens of them. Two reasons: the children run with
// V8's optimizing tiers on (this process is capped for Dawn), and several run at once on several
// cores. Node only.
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { RefModel } from './ref-model';
import type { WorkerReply, WorkerRequest } from './worker';

type Job = { type: 'run'; state0: Float64Array; ctrl: Float64Array; steps: number }
  | { type: 'tangent'; states: Float32Array; first: number; delta: Float64Array; ctrl: Float64Array; dCtrl: Float64Array; h: number };

interface Task { id: number; job: Job; resolve: (f: Float64Array) => void; reject: (e: Error) => void }

interface Worker { proc: ChildProcess; ready: boolean; task?: Task }

/** Default worker count: the cores, at most 4 (a check runs a handful of rollouts at once). */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(availableParallelism(), 4));
}

export class RefPool {
  private readonly workers: Worker[] = [];
  private readonly queue: Task[] = [];
  private nextId = 0;
  private failure?: Error;

  /** Forks `count` workers for `model` (they load in the background; tasks queue meanwhile). */
  constructor(model: RefModel, count = defaultWorkers()) {
    const host = fileURLToPath(new URL('./worker-host.mjs', import.meta.url));
    for (let k = 0; k < count; k++) {
      // execArgv []: not this process's --max-opt=2 (see worker.ts)
      const proc = fork(host, [], { execArgv: [], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const w: Worker = { proc, ready: false };
      proc.on('message', (msg: WorkerReply) => this.onMessage(w, msg));
      proc.on('exit', (code, signal) => this.fail(new Error(`reference worker exited (code ${code}, signal ${signal})`)));
      proc.on('error', (e) => this.fail(e));
      proc.send({ type: 'init', model } satisfies WorkerRequest);
      this.workers.push(w);
    }
  }

  /** The state after `steps` steps from state0 with control ctrl (a copy, the caller's to keep). */
  finalState(state0: Float64Array, ctrl: Float64Array, steps: number): Promise<Float64Array> {
    return this.submit({ type: 'run', state0, ctrl, steps });
  }

  /** tangentAlong (stepper.ts) in a worker: the tangent carried across `states` from step `first`. */
  tangent(states: Float32Array, first: number, delta: Float64Array, ctrl: Float64Array, dCtrl: Float64Array, h: number): Promise<Float64Array> {
    return this.submit({ type: 'tangent', states, first, delta, ctrl, dCtrl, h });
  }

  private submit(job: Job): Promise<Float64Array> {
    return new Promise((resolve, reject) => {
      if (this.failure) { reject(this.failure); return; }
      this.queue.push({ id: this.nextId++, job, resolve, reject });
      this.dispatch();
    });
  }

  close(): void {
    this.failure ??= new Error('reference pool closed');
    for (const w of this.workers) { w.proc.removeAllListeners('exit'); w.proc.kill(); }
    this.workers.length = 0;
    for (const t of this.queue.splice(0)) t.reject(this.failure);
  }

  private onMessage(w: Worker, msg: WorkerReply): void {
    if (msg.type === 'ready') w.ready = true;
    else {
      const t = w.task;
      w.task = undefined;
      if (t && msg.type === 'done') t.resolve(msg.final);
      else if (t && msg.type === 'error') t.reject(new Error(msg.message));
    }
    this.dispatch();
  }

  private dispatch(): void {
    for (const w of this.workers) {
      if (!w.ready || w.task || this.queue.length === 0) continue;
      const t = this.queue.shift()!;
      w.task = t;
      w.proc.send({ ...t.job, id: t.id } satisfies WorkerRequest);
    }
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    for (const w of this.workers) { w.task?.reject(e); w.task = undefined; }
    this.close();
  }
}
