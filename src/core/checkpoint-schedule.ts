// Where a rollout keeps states for the backward pass.
//   'full'      every state (testing and short rollouts);
//   K (number)  a checkpoint every K steps; a segment is recomputed from its checkpoint in backward;
//   'auto'      the fewest state buffers M with which each step is recomputed at most once, M the
//               least with M(M-1)/2 >= T (about sqrt(2T)), and as many segments as M allows.
// Peak storage: the adjoint of a step reads both its input and its output state, so while segment k
// is reversed, checkpoints 0..k, the segment's end state (checkpoint k + 1, or the final state) and
// its L_k - 1 recomputed states are alive: slots = max_k (k + 1 + L_k). Full tape: T + 1. A later
// segment reuses the slots of checkpoints already consumed (Griewank's two-sweep Revolve schedule).
// Recomputed steps: every state but the checkpoints and the final one, T - (number of segments). So
// 'auto' takes M - 1 segments, L_k <= M - 1 - k, the longest trimmed first to sum to T: for T = 1000,
// 46 buffers and 955 recomputed steps (decreasing lengths from 45, the earlier schedule, took 38
// segments: 962 recomputed steps, in the same 46 buffers plus two for the forward).
// The forward needs no buffers of its own: it alternates a segment's inner states between two
// slots that later checkpoints take (see rollout.ts).

export type CheckpointMode = 'auto' | 'full' | number;

/** Bytes of states up to which an optimizer's 'auto' keeps every state (optimizerCheckpoint). */
export const FULL_TAPE_BYTES = 64 * 2 ** 20;

/**
 * The tape of an optimizer's or planner's rollout: 'auto' keeps every state where T + 1 of them fit
 * in FULL_TAPE_BYTES, and the schedule below elsewhere. An optimizer waits on its gradients and the
 * recomputed forward is a third of each; a small scene's full tape costs little memory (a 22-mass
 * robot's 681 steps: 0.2 MiB). Gradients are the same bytes either way.
 */
export function optimizerCheckpoint(mode: CheckpointMode, stateBytes: number, steps: number): CheckpointMode {
  return mode === 'auto' && (steps + 1) * stateBytes <= FULL_TAPE_BYTES ? 'full' : mode;
}

export interface CheckpointSchedule {
  mode: CheckpointMode;
  steps: number;
  /** First step of each segment; a checkpoint is kept at each. */
  starts: number[];
  lengths: number[];
  /** State buffers the tape holds (the peak, the final state included): all it allocates. */
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
    let M = 2;
    while ((M * (M - 1)) / 2 < steps) M++;
    lengths = Array.from({ length: M - 1 }, (_, k) => M - 1 - k);
    // trim the excess from the longest segment (the last of equals, so lengths never increase)
    for (let excess = (M * (M - 1)) / 2 - steps; excess > 0; excess--) {
      let k = 0;
      for (let j = 1; j < lengths.length; j++) if (lengths[j] >= lengths[k]) k = j;
      lengths[k]--;
    }
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
