// The MPM simulator as a gradient-check subject (src/core/gradcheck.ts): the GPU adjoint of a
// checkpointed rollout, the float64 reference in worker processes, and the parameter blocks of a
// scene: the initial x, v, C, F, each group's E and nu, the actuation, and each part of the
// collider tracks.
import type { GpuContext } from '../gpu/device';
import { readF32 } from '../gpu/buffers';
import { Rollout } from '../core/rollout';
import { gradcheck, type GradcheckOptions, type GradCheckReport, type GradcheckSubject, type ParamBlock } from '../core/gradcheck';
import type { MpmScene } from './scene';
import { MpmSim } from './simulator';
import { TRACK_SLOT, TRACK_STRIDE, orientComps, particleStride, spinComps } from './layout';
import { ctrlGroupIndex, refModel, withCtrl, type RefModel } from './reference/ref-model';
import { RefStepper } from './reference/stepper';
import { RefPool, defaultWorkers } from './reference/pool';

/**
 * A weakly compressible fluid's pressure is K J (J - 1) with J - 1 ~ 1e-3, and float32 keeps J to
 * ~1e-7: over tens of steps that moves its gradients by up to a few percent, so scenes with a fluid
 * are held to FLUID_TOL. Elastic and plastic ones stay at 1%.
 */
const FLUID_TOL = 3e-2;
const TOL = 1e-2;

export interface MpmSubjectOptions {
  /** Reference worker processes; 0 runs the reference in this process (slow: see reference/worker.ts). */
  workers?: number;
}

function blocks(model: RefModel, dx: number, steps: number): ParamBlock[] {
  const { dim, nGroups, nAct, nColliders, horizon, ctrlLayout: lay } = model;
  const ps = particleStride(dim);
  const field = (name: string, lo: number, len: number, eps: number): ParamBlock =>
    ({ name, space: 'state', pick: (i) => i % ps >= lo && i % ps < lo + len, eps });
  const out = [field('x0', 0, dim, 1e-5 * dx), field('v0', dim, dim, 1e-6), field('C0', 2 * dim, dim * dim, 1e-5),
    field('F0', 2 * dim + dim * dim, dim * dim, 1e-7)];
  for (let g = 0; g < nGroups; g++) {
    for (const f of ['E', 'nu'] as const) {
      const at = ctrlGroupIndex(model, g, f);
      out.push({ name: `groups[${g}].${f}`, space: 'ctrl', pick: (i) => i === at, relative: true, eps: 1e-6 });
    }
  }
  // the rows of a track that the rollout reads (row min(k, horizon - 1) at step k)
  const rows = (off: number, rowLen: number) => (i: number) => i >= off && i < off + Math.min(steps, horizon) * rowLen;
  if (nAct > 0) out.push({ name: 'actuation', space: 'ctrl', pick: rows(lay.actOff, nAct), eps: 1e-6 });
  if (nColliders > 0) {
    const inRows = rows(lay.colOff, nColliders * TRACK_STRIDE);
    const track = (name: string, slot: number, len: number, eps: number): ParamBlock => ({
      name: `colliders.${name}`, space: 'ctrl', eps,
      pick: (i) => inRows(i) && (i - lay.colOff) % TRACK_STRIDE >= slot && (i - lay.colOff) % TRACK_STRIDE < slot + len,
    });
    out.push(track('position', TRACK_SLOT.position, dim, 1e-5 * dx), track('velocity', TRACK_SLOT.velocity, dim, 1e-6),
      track('orientation', TRACK_SLOT.orientation, orientComps(dim), 1e-5),
      track('angularVelocity', TRACK_SLOT.angularVelocity, spinComps(dim), 1e-5));
  }
  return out;
}

/** The gradient-check subject of one scene (batch 1); destroy() frees its GPU buffers and workers. */
export async function mpmGradcheckSubject(gpu: GpuContext, scene: MpmScene, o: MpmSubjectOptions = {}): Promise<GradcheckSubject> {
  const sim = await MpmSim.create(gpu, scene);
  const model = refModel(sim.packed, 0);
  // the workers load while the GPU runs the adjoint
  const workers = o.workers ?? defaultWorkers();
  const pool = workers > 0 ? new RefPool(model, workers) : undefined;
  const local = pool ? undefined : new RefStepper(model);
  const state0 = Float64Array.from(sim.packed.state0);
  const ctrl = Float64Array.from(model.ctrl);
  const hasFluid = scene.groups.some((g) => g.material === 'fluid');
  return {
    name: scene.name, state0, ctrl,
    blocks: (steps) => blocks(model, scene.grid.dx, steps),
    tolerance: hasFluid ? FLUID_TOL : TOL,
    async gpuGradient(weights, steps) {
      const r = new Rollout(sim, steps, 'auto');
      const gFinal = sim.createState('gradcheck.weights', Float32Array.from(weights));
      try {
        await r.forward();
        const gState = (await readF32(gpu.device, await r.backward(gFinal))).slice(0, state0.length);
        // batch 1: the GPU's ctrl gradient has the reference's ctrl layout
        const gCtrl = (await readF32(gpu.device, sim.adjoint.gCtrl)).slice(0, ctrl.length);
        return { gState, gCtrl };
      } finally {
        gFinal.destroy();
        r.destroy();
      }
    },
    referenceFinal(s0, c, steps) {
      if (pool) return pool.finalState(s0, c, steps);
      local!.setModel(withCtrl(model, c));
      return Float64Array.from(local!.rollout(s0, steps));
    },
    destroy() {
      pool?.close();
      sim.destroy();
    },
  };
}

/** gradcheck() of a scene: `steps` defaults to min(scene.steps, 20). */
export async function gradcheckScene(gpu: GpuContext, scene: MpmScene, o: Partial<GradcheckOptions> & MpmSubjectOptions = {}): Promise<GradCheckReport> {
  const subject = await mpmGradcheckSubject(gpu, scene, o);
  try {
    return await gradcheck(subject, { ...o, steps: o.steps ?? Math.min(scene.steps, 20) });
  } finally {
    subject.destroy?.();
  }
}
