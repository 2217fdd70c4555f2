// Replay frames of a rollout: positions every few steps, read back from the GPU. Portable (the CLI
// writes them as replay.bin, the page plays them), so nothing here touches Node.
import { readF32 } from '../gpu/buffers';
import { STEPS_PER_WAIT } from './rollout';
import { checkStateFinite, checkStateLength, positionField, type SimStatus, type Simulator, type StateLayout } from './simulator';

/** Items' positions (DIM floats each) of every copy in a state record. */
export function positionsOf(records: Float32Array, s: StateLayout, dim: number, batch: number): Float32Array {
  const { offset } = positionField(s);
  const n = s.items * batch;
  const x = new Float32Array(n * dim);
  for (let p = 0; p < n; p++) for (let i = 0; i < dim; i++) x[p * dim + i] = records[p * s.stride + offset + i];
  return x;
}

/**
 * Steps encoded per command buffer, however many a frame spans; and every STEPS_PER_WAIT steps a
 * wait for them to run: Dawn on lavapipe crashes the process (a segmentation fault, no error) with
 * some 60,000 steps of a 12-vertex spring robot in flight, fewer of MPM, which
 * `torsion run --steps 100000 --every 100000` used to submit in one command buffer.
 */
export const RECORD_STEPS_PER_SUBMIT = 128;

/**
 * Replay frames: positions every `every` steps of a rollout from state0 (the sim's controls as written).
 * `halt`, asked after each command buffer, ends the rollout there (a Ctrl-C): `steps` then says how
 * many ran, `final` is the state after them, and `frames` holds the whole frames before it.
 */
export async function recordFrames(
  sim: Simulator, steps: number, every: number, state0: Float32Array = sim.state0, onStep?: (t: number) => void, halt?: () => boolean,
): Promise<{ frames: Float32Array[]; final: Float32Array; status: SimStatus; steps: number; every: number }> {
  const dev = sim.device;
  for (const [name, n, what] of [['steps', steps, ''], ['every', every, ' (steps per frame)']] as const) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`recordFrames: ${name} = ${n}: allowed an integer >= 1${what}`);
  }
  // as Rollout.forward checks it: a NaN would otherwise come back as a blow-up at step 0
  if (!(state0 instanceof Float32Array)) throw new RangeError(`recordFrames: state0 is ${ArrayBuffer.isView(state0) ? `a ${(state0 as object).constructor.name}` : typeof state0}: allowed a Float32Array of a whole state (sim.state0, params.write(theta))`);
  checkStateLength('recordFrames: state0', state0.length, sim.stateBytes);
  checkStateFinite('recordFrames: state0', state0, sim.state, sim.batch);
  sim.ensureSteps(steps);
  const bufs = [sim.createState('a', state0), sim.createState('b')];
  // a simulator that reorders its items (Simulator.itemOrder): states read in the user's order
  const order = sim.itemOrder;
  const user = order ? sim.createState('user') : null;
  if (user) bufs.push(user);
  try {
    const frames: Float32Array[] = [positionsOf(state0, sim.state, sim.dim, sim.batch)];
    sim.resetStatus();
    let cur = 0;
    const readable = (t: number) => (order && !order.isUserOrder(t) ? user! : bufs[cur]);
    let inFlight = 0; // steps submitted since the last wait (STEPS_PER_WAIT)
    let ran = 0;
    frames: for (let t = 0; t < steps; t += every) {
      const end = Math.min(steps, t + every);
      // a frame's steps in command buffers of at most RECORD_STEPS_PER_SUBMIT steps each
      for (let c = t; c < end; c += RECORD_STEPS_PER_SUBMIT) {
        const enc = dev.createCommandEncoder({ label: 'run' });
        const pass = enc.beginComputePass();
        const stop = Math.min(end, c + RECORD_STEPS_PER_SUBMIT);
        for (let s = c; s < stop; s++) {
          sim.encodeStep(pass, bufs[cur], bufs[1 - cur], s);
          cur = 1 - cur;
        }
        const halted = stop < end && (halt?.() ?? false);
        if ((stop === end || halted) && order && !order.isUserOrder(stop)) order.encodeToUser(pass, bufs[cur], user!, stop);
        pass.end();
        dev.queue.submit([enc.finish()]);
        sim.gpu.pacer.submitted(sim.workKind.step, stop - c);
        ran = stop;
        inFlight += stop - c;
        if (halted) { onStep?.(stop); break frames; }
        if (inFlight >= STEPS_PER_WAIT) { await sim.gpu.pacer.idle(); inFlight = 0; }
      }
      frames.push(positionsOf(await readF32(dev, readable(end)), sim.state, sim.dim, sim.batch));
      onStep?.(end);
      if (end < steps && (halt?.() ?? false)) break;
    }
    const status = await sim.readStatus();
    return { frames, final: await readF32(dev, readable(ran)), status, steps: ran, every };
  } finally {
    for (const b of bufs) b.destroy();
  }
}

/** Positions of a rollout every few steps, as a replay's frames: what replay.json + replay.bin hold, less the scene's name. */
export interface RecordedTrajectory {
  dim: number;
  particles: number;
  batch: number;
  frames: number;
  stepsPerFrame: number;
  dt: number;
  /** [frame][batch][particle][dim] float32. */
  positions: Float32Array;
}
