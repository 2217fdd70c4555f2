// A controlled scene as a gradient-check subject: the GPU adjoint of the controlled, checkpointed
// rollout against central differences of the family's float64 step composed with the float64
// controller (reference.ts). Every block: the weights, the initial state, materials, tracks. The
// MPM step runs in this process (the composed rollout steps one at a time, controller between), as
// does the tangent along the GPU's states that gradcheck's 'path' check asks for.
import type { GpuContext } from '../gpu/device';
import { simulatorSubject, tangentBySteps, type GradcheckSubject } from '../core/gradcheck';
import type { SpringScene } from '../springs/scene';
import { SpringSim } from '../springs/simulator';
import { compileSpringScene } from '../springs/model';
import { stepRef } from '../springs/reference';
import type { ControllerSpec } from './controller';
import type { MpmScene } from '../mpm/scene';
import { MpmSim } from '../mpm/simulator';
import { refModel, withCtrl } from '../mpm/reference/ref-model';
import { RefStepper } from '../mpm/reference/stepper';
import { ControlledSim } from './controlled-sim';
import { controlledRolloutRef, controlledStepRef, type ControlledReference } from './reference';

const TOL = 1e-2;

/** The float64 reference of a (batch-1) ControlledSim, given its inner simulator's step. */
export function controlledReference(sim: ControlledSim, step: ControlledReference['step']): ControlledReference {
  const actuation = sim.inner.params.blocks.find((b) => b.kind === 'actuation');
  if (!actuation) throw new Error('controller: the inner simulator has no actuation block');
  return {
    lay: sim.layout, state: sim.state, actuation, innerSize: sim.inner.params.size, horizon: sim.horizon,
    massFraction: sim.massFraction, com0: sim.com0.subarray(0, sim.dim), goal: sim.goalOf(0), step,
  };
}

export async function controlledSpringSubject(gpu: GpuContext, scene: SpringScene, spec: ControllerSpec, o: { wrongAdjoint?: boolean } = {}): Promise<GradcheckSubject> {
  const inner = await SpringSim.create(gpu, scene);
  const sim = await ControlledSim.create(inner, spec, { dt: scene.dt, steps: scene.steps, wrongAdjoint: o.wrongAdjoint });
  const model = compileSpringScene(scene);
  const ref = controlledReference(sim, (s, c, t) => stepRef(model, s, c, t));
  const len = Math.max(...scene.extent);
  return simulatorSubject(sim, {
    name: `${scene.name}+controller`,
    tolerance: TOL,
    stateEps: { x: 1e-6 * len, v: 1e-6, restAngle: 1e-6 },
    reference: (s0, c, steps) => controlledRolloutRef(ref, s0, c, steps),
    tangentSteps: async (states, first, delta, c, dc, h) => tangentBySteps((s, cc, t) => controlledStepRef(ref, s, cc, t), states, first, delta, c, dc, h),
  });
}

/** o.sortEvery: MpmSim's particle sort (default 0: none); the reference never sorts. */
export async function controlledMpmSubject(gpu: GpuContext, scene: MpmScene, spec: ControllerSpec, o: { wrongAdjoint?: boolean; sortEvery?: number } = {}): Promise<GradcheckSubject> {
  const inner = await MpmSim.create(gpu, scene, { sortEvery: o.sortEvery });
  const sim = await ControlledSim.create(inner, spec, { dt: scene.dt, steps: scene.steps, wrongAdjoint: o.wrongAdjoint });
  const model = refModel(inner.packed, 0);
  const stepper = new RefStepper(model);
  const ref = controlledReference(sim, (s, c, t) => {
    stepper.setModel(withCtrl(model, c));
    const out = new Float64Array(s.length);
    stepper.step(s, out, t);
    return out;
  });
  return simulatorSubject(sim, {
    name: `${scene.name}+controller`,
    tolerance: TOL,
    stateEps: { x: 1e-5 * scene.grid.dx, v: 1e-6, C: 1e-5, F: 1e-7 },
    reference: (s0, c, steps) => controlledRolloutRef(ref, s0, c, steps),
    tangentSteps: async (states, first, delta, c, dc, h) => tangentBySteps((s, cc, t) => controlledStepRef(ref, s, cc, t), states, first, delta, c, dc, h),
  });
}
