// SpringSim as a gradient-check subject (src/core/gradcheck.ts): the GPU adjoint of a checkpointed
// rollout against central differences of the float64 reference (reference.ts), run in this process
// (a spring or shell scene's reference step is cheap next to MPM's).
import type { GpuContext } from '../gpu/device';
import { simulatorSubject, tangentBySteps, type GradcheckSubject } from '../core/gradcheck';
import type { SpringScene } from './scene';
import { SpringSim, type AdjointPath } from './simulator';
import { compileSpringScene } from './model';
import { rolloutRef, stepRef } from './reference';
import type { PipelineCache } from '../gpu/pipeline-cache';

const TOL = 1e-2;

/**
 * `wrongAdjoint`: the adjoint with a few terms scaled by 1.05 (tests that gradcheck can fail);
 * `adjoint`: which step adjoint runs (SpringSim's AdjointPath); `cache`: pipelines to share with
 * other simulators of the same code (lavapipe compiles a pipeline object at its first dispatch).
 */
export async function springGradcheckSubject(gpu: GpuContext, scene: SpringScene, o: { wrongAdjoint?: boolean; adjoint?: AdjointPath; cache?: PipelineCache } = {}): Promise<GradcheckSubject> {
  const sim = await SpringSim.create(gpu, scene, o);
  const model = compileSpringScene(scene);
  const len = Math.max(...scene.extent);
  return simulatorSubject(sim, {
    name: scene.name,
    tolerance: TOL,
    stateEps: { x: 1e-6 * len, v: 1e-6, restAngle: 1e-6 },
    reference: (s0, c, steps) => rolloutRef(model, s0, c, steps),
    tangentSteps: async (states, first, delta, c, dc, h) => tangentBySteps((s, cc, t) => stepRef(model, s, cc, t), states, first, delta, c, dc, h),
  });
}
