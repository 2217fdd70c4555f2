// The simulator families by scene kind: the one place that knows every family, so the CLI, the
// viewer and the tests dispatch on `scene.kind` here and stay written against the Simulator
// interface (src/core/simulator.ts). A scene without `kind` is an MPM scene.
import type { GpuContext } from './gpu/device';
import type { PipelineCache } from './gpu/pipeline-cache';
import type { Simulator } from './core/simulator';
import type { GradcheckSubject } from './core/gradcheck';
import type { MpmScene } from './mpm/scene';
import { MpmSim } from './mpm/simulator';
import { mpmParamNames } from './mpm/param-space';
import type { SpringScene } from './springs/scene';
import { SpringSim, type AdjointPath } from './springs/simulator';
import { springParamNames } from './springs/param-names';
import { ControlledSim } from './control/controlled-sim';

/** Any scene Torsion runs: MPM, or mass-spring / thin shell (one family, two kinds). */
export type Scene = MpmScene | SpringScene;
export type SceneKind = NonNullable<Scene['kind']>;

export interface CreateOptions {
  batch?: number;
  cache?: PipelineCache;
  /** Mass-spring and shell scenes: which step adjoint runs (SpringSim's AdjointPath; default auto). */
  adjoint?: AdjointPath;
  /** MPM scenes: steps between particle sorts (MpmSim; 0 or absent: never). */
  sortEvery?: number;
}

interface Family {
  create(gpu: GpuContext, scene: Scene, opts: CreateOptions): Promise<Simulator>;
  /** The simulator with its float64 reference, for gradcheck (batch 1). Loaded on use: the reference runs in Node worker processes, which a browser page must not import. */
  gradcheckSubject(gpu: GpuContext, scene: Scene): Promise<GradcheckSubject>;
  /** The names an optimizer may tune (src/opt/parameters.ts), known before any GPU work. */
  paramNames(scene: Scene): string[];
}

const springs: Family = {
  create: (gpu, scene, opts) => SpringSim.create(gpu, scene as SpringScene, opts),
  gradcheckSubject: async (gpu, scene) => (await import('./springs/gradcheck-subject')).springGradcheckSubject(gpu, scene as SpringScene),
  paramNames: (scene) => springParamNames(scene as SpringScene),
};

const families: Record<SceneKind, Family> = {
  mpm: {
    create: (gpu, scene, opts) => MpmSim.create(gpu, scene as MpmScene, opts),
    gradcheckSubject: async (gpu, scene) => (await import('./mpm/gradcheck-subject')).mpmGradcheckSubject(gpu, scene as MpmScene),
    paramNames: (scene) => mpmParamNames(scene as MpmScene),
  },
  springs,
  shell: springs,
};

export function sceneKind(scene: Scene): SceneKind {
  return scene.kind ?? 'mpm';
}

/**
 * The simulator for a validated scene of any kind; a scene with a `controller` gets its family's
 * simulator wrapped in the controller (src/control/controlled-sim.ts), which drives its actuation.
 */
export async function createSimulator(gpu: GpuContext, scene: Scene, opts: CreateOptions = {}): Promise<Simulator> {
  if (opts.sortEvery && sceneKind(scene) !== 'mpm') throw new RangeError(`sortEvery = ${opts.sortEvery}: allowed 0 for a ${sceneKind(scene)} scene (only MPM particles are sorted)`);
  const sim = await families[sceneKind(scene)].create(gpu, scene, opts);
  return scene.controller ? ControlledSim.create(sim, scene.controller, { dt: scene.dt, steps: scene.steps }) : sim;
}

export async function gradcheckSubject(gpu: GpuContext, scene: Scene): Promise<GradcheckSubject> {
  if (scene.controller) {
    const c = await import('./control/gradcheck-subject');
    if (sceneKind(scene) === 'mpm') return c.controlledMpmSubject(gpu, scene as MpmScene, scene.controller);
    return c.controlledSpringSubject(gpu, scene as SpringScene, scene.controller);
  }
  return families[sceneKind(scene)].gradcheckSubject(gpu, scene);
}

export function paramNames(scene: Scene): string[] {
  return families[sceneKind(scene)].paramNames(scene);
}
