// Where a rollout keeps states for the backward pass.
//   'full'      every state (testing and short rollouts);
//   K (number)  a checkpoint every K steps; a segment is recomputed from its checkpoint in backward;
//   'auto'      segments of decreasing length s, s-1, s-2, ... with s(s+1)/2 >= T (the two-sweep
//               binomial schedule of Griewank's Revolve): each step is recomputed at most once, like
//               uniform sqrt(T) checkpointing, but the peak is s ~ sqrt(2T) stored states instead of
//               T/K + K ~ 2 sqrt(T), because a later segment reuses the slots of checkpoints already
//               consumed.
// Peak storage: the adjoint of a step reads both its input and its output state, so while segment k
// is reversed, checkpoints 0..k, the segment's end state (checkpoint k + 1, or the final state) and
// its L_k - 1 recomputed states are alive: slots = max_k (k + 1 + L_k). Full tape: T + 1.

export type CheckpointMode = 'auto' | 'full' | number;

export interface CheckpointSchedule {
  mode: CheckpointMode;
  steps: number;
  /** First step of each segment; a checkpoint is kept at each. */
  starts: number[];
  lengths: number[];
  /** State buffers the tape holds (the peak, the final state included), not counting the two forward work buffers. */
  slots: number;
  /** Forward steps recomputed during backward. */
  recomputedSteps: number;
}

export function planCheckpoints(steps: number, mode: CheckpointMode = 'auto'): CheckpointSchedule {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps = ${steps}: allowed an integer >= 1`);
  let lengths: number[];
  if (mode === 'full') {
    lengths = [steps];
  } else if (mode === 'auto') {
    let s = 1;
    while ((s * (s + 1)) / 2 < steps) s++;
    lengths = [];
    let left = steps;
    for (let L = s; left > 0; L--) { lengths.push(Math.min(L, left)); left -= L; }
  } else {
    if (!Number.isInteger(mode) || mode < 1) throw new RangeError(`checkpoint interval = ${mode}: allowed an integer >= 1, 'auto' or 'full'`);
    lengths = [];
    for (let left = steps; left > 0; left -= mode) lengths.push(Math.min(mode, left));
  }
  const starts: number[] = [];
  let c = 0;
  for (const L of lengths) { starts.push(c); c += L; }
  const slots = mode === 'full' ? steps + 1 : Math.max(...lengths.map((L, k) => k + 1 + L));
  const recomputedSteps = mode === 'full' ? 0 : lengths.reduce((a, L) => a + L - 1, 0);
  return { mode, steps, starts, lengths, slots, recomputedSteps };
}
