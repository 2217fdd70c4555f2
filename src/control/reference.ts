// The float64 reference of a controlled rollout: the controller's features and MLP (controller.ts)
// composed with any simulator's float64 step, one copy. Each step writes the MLP's actuation into
// the inner control vector's actuation row of that step, as the GPU does, then steps.
import type { ParamBlock, StateLayout } from '../core/simulator';
import { positionField } from '../core/simulator';
import { featuresRef, mlpRef, type ControllerLayout } from './controller';

export interface ControlledReference {
  lay: ControllerLayout;
  state: StateLayout;
  /** The inner simulator's 'actuation' block (its batch-1 indices, rows of rowLength channels) and size. */
  actuation: ParamBlock;
  innerSize: number;
  horizon: number;
  massFraction: ArrayLike<number>;
  com0: ArrayLike<number>;
  goal: number[];
  /** The inner simulator's float64 step of one copy. */
  step: (s: Float64Array, ctrl: Float64Array, t: number) => Float64Array;
}

/** Copy 0's features at state s, step t. */
export function stateFeaturesRef(r: ControlledReference, s: ArrayLike<number>, t: number): Float64Array {
  const { stride, items } = r.state, xo = positionField(r.state).offset;
  const vf = r.state.fields.find((f) => f.name === 'v');
  return featuresRef(r.lay, {
    items, massFraction: r.massFraction, com0: r.com0,
    x: (i, a) => s[i * stride + xo + a],
    v: vf ? (i, a) => s[i * stride + vf.offset + a] : null,
  }, t, r.goal);
}

/** `steps` controlled steps from state0 with ctrl = inner control vector ++ weights: the final state. */
export function controlledRolloutRef(r: ControlledReference, state0: ArrayLike<number>, ctrl: ArrayLike<number>, steps: number): Float64Array {
  const inner = Float64Array.from({ length: r.innerSize }, (_, i) => ctrl[i]);
  const w = Float64Array.from({ length: r.lay.weights }, (_, i) => ctrl[r.innerSize + i]);
  const A = r.actuation.rowLength;
  let s: Float64Array = Float64Array.from(state0);
  for (let t = 0; t < steps; t++) {
    const a = mlpRef(r.lay, w, stateFeaturesRef(r, s, t));
    const row = Math.min(t, r.horizon - 1);
    for (let c = 0; c < A; c++) inner[r.actuation.indices[row * A + c]] = a[c];
    s = r.step(s, inner, t);
  }
  return s;
}
