// The speed a controller holds: one batch copy per commanded speed, all started at rest and run for
// a long while with the same weights, the centre of mass read every `every` steps. What the page's
// walker demo shows, measured the way scripts/train-walker-demo.ts reports it and its test checks it.
import { readF32 } from '../gpu/buffers';
import type { GpuContext } from '../gpu/device';
import { positionField } from '../core/simulator';
import { createSimulator, type Scene } from '../simulators';
import { ParameterVector } from '../opt/parameters';
import { ControlledSim } from './controlled-sim';

export interface HeldSpeeds {
  /** Per readout (steps 0, every, 2 every, ...), per copy: the centre of mass along x. */
  com: number[][];
  /** Per copy: the mean speed from step `from` to the end (m/s). */
  held: number[];
}

/** Runs `speeds.length` copies of a controller scene with weights theta for `steps` steps from rest. */
export async function heldSpeeds(gpu: GpuContext, scene: Scene, theta: ArrayLike<number>, speeds: number[], o: { steps: number; from: number; every?: number }): Promise<HeldSpeeds> {
  const every = o.every ?? 250;
  if (o.steps % every || o.from % every) throw new RangeError(`heldSpeeds: steps ${o.steps} and from ${o.from} must be multiples of every (${every})`);
  // unsorted whatever the scene says: the states are stepped and read here, in the scene's order
  const sim = await createSimulator(gpu, scene, { batch: speeds.length, sortEvery: 0 });
  try {
    if (!(sim instanceof ControlledSim)) throw new Error(`heldSpeeds: scene '${scene.name}' has no controller`);
    const pv = new ParameterVector(sim, ['controller']);
    sim.writeParams(pv.inputsBatch(speeds.map(() => Float64Array.from(theta))).ctrl);
    sim.setGoals(speeds.map((s) => [s]));
    sim.ensureSteps(o.steps);
    let cur = [sim.createState('held.a', sim.state0), sim.createState('held.b')];
    const N = sim.state.items, S = sim.state.stride, xo = positionField(sim.state).offset, w = sim.selection().weights;
    const comX = async () => {
      const r = await readF32(gpu.device, cur[0]);
      return speeds.map((_, c) => { let x = 0, m = 0; for (let i = 0; i < N; i++) { x += w[i] * r[(c * N + i) * S + xo]; m += w[i]; } return x / m; });
    };
    const com = [await comX()];
    for (let t = 0; t < o.steps; t += every) {
      const enc = gpu.device.createCommandEncoder({ label: 'held.steps' });
      const pass = enc.beginComputePass();
      for (let k = 0; k < every; k++) { sim.encodeStep(pass, cur[0], cur[1], t + k); cur = [cur[1], cur[0]]; }
      pass.end();
      gpu.device.queue.submit([enc.finish()]);
      com.push(await comX());
    }
    for (const b of cur) b.destroy();
    const a = o.from / every, b = com.length - 1;
    return { com, held: speeds.map((_, c) => (com[b][c] - com[a][c]) / ((o.steps - o.from) * scene.dt)) };
  } finally {
    sim.destroy();
  }
}
