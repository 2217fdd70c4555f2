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
  let s: Float64Array = Float64Array.from(state0);
  for (let t = 0; t < steps; t++) s = controlledStep(r, s, inner, ctrl, t);
  return s;
}

/**
 * One controlled step from state s (ctrl as above): the step gradcheck's 'path' check linearises
 * along the GPU's states, so a controller's derivative is taken through the MLP at those states too.
 */
export function controlledStepRef(r: ControlledReference, s: Float64Array, ctrl: ArrayLike<number>, t: number): Float64Array {
  return controlledStep(r, s, Float64Array.from({ length: r.innerSize }, (_, i) => ctrl[i]), ctrl, t);
}

/** The MLP's actuation at (s, t) written into `inner`'s row for step t, then the inner step. */
function controlledStep(r: ControlledReference, s: Float64Array, inner: Float64Array, ctrl: ArrayLike<number>, t: number): Float64Array {
  const w = Float64Array.from({ length: r.lay.weights }, (_, i) => ctrl[r.innerSize + i]);
  const A = r.actuation.rowLength;
  const a = mlpRef(r.lay, w, stateFeaturesRef(r, s, t));
  const row = Math.min(t, r.horizon - 1);
  for (let c = 0; c < A; c++) inner[r.actuation.indices[row * A + c]] = a[c];
  return r.step(s, inner, t);
}
