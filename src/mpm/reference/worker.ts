// A child process that runs float64 reference rollouts for a parent (pool.ts). It never loads
// Dawn, so it runs with V8's optimizing tiers on: the parent, capped at tier 2 for Dawn's sake
// (bin/torsion.mjs), runs this arithmetic about ten times slower.
import type { RefModel } from './ref-model';
import { withCtrl } from './ref-model';
import { RefStepper, tangentAlong } from './stepper';

/** Parent to child. */
export type WorkerRequest =
  | { type: 'init'; model: RefModel }
  | { type: 'run'; id: number; state0: Float64Array; ctrl: Float64Array; steps: number }
  | { type: 'tangent'; id: number; states: Float32Array; first: number; delta: Float64Array; ctrl: Float64Array; dCtrl: Float64Array; h: number };

/** Child to parent. */
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'done'; id: number; final: Float64Array }
  | { type: 'error'; id: number; message: string };

let model: RefModel | undefined;
let stepper: RefStepper | undefined;

function handle(msg: WorkerRequest): WorkerReply | undefined {
  if (msg.type === 'init') {
    model = msg.model;
    stepper = new RefStepper(model);
    return undefined;
  }
  try {
    if (!model || !stepper) throw new Error('reference worker: run before init');
    if (msg.type === 'tangent') {
      return { type: 'done', id: msg.id, final: tangentAlong(stepper, model, msg.states, msg.first, msg.delta, msg.ctrl, msg.dCtrl, msg.h) };
    }
    stepper.setModel(withCtrl(model, msg.ctrl));
    return { type: 'done', id: msg.id, final: Float64Array.from(stepper.rollout(msg.state0, msg.steps)) };
  } catch (e) {
    return { type: 'error', id: msg.id, message: e instanceof Error ? e.message : String(e) };
  }
}

export function serve(): void {
  process.on('message', (msg: WorkerRequest) => {
    const reply = handle(msg);
    if (reply) process.send!(reply);
  });
  // the parent went away: nothing left to do
  process.on('disconnect', () => process.exit(0));
  process.send!({ type: 'ready' } satisfies WorkerReply);
}
