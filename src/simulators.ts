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

/** Any scene Torsion runs (a union as families are added). */
export type Scene = MpmScene;
export type SceneKind = NonNullable<Scene['kind']>;

export interface CreateOptions {
  batch?: number;
  cache?: PipelineCache;
}

interface Family {
  create(gpu: GpuContext, scene: Scene, opts: CreateOptions): Promise<Simulator>;
  /** The simulator with its float64 reference, for gradcheck (batch 1). Loaded on use: the reference runs in Node worker processes, which a browser page must not import. */
  gradcheckSubject(gpu: GpuContext, scene: Scene): Promise<GradcheckSubject>;
  /** The names an optimizer may tune (src/opt/parameters.ts), known before any GPU work. */
  paramNames(scene: Scene): string[];
}

const families: Record<SceneKind, Family> = {
  mpm: { create: (gpu, scene, opts) => MpmSim.create(gpu, scene, opts), gradcheckSubject: async (gpu, scene) => (await import('./mpm/gradcheck-subject')).mpmGradcheckSubject(gpu, scene), paramNames: mpmParamNames },
};

export function sceneKind(scene: Scene): SceneKind {
  return scene.kind ?? 'mpm';
}

/** The simulator for a validated scene of any kind. */
export function createSimulator(gpu: GpuContext, scene: Scene, opts: CreateOptions = {}): Promise<Simulator> {
  return families[sceneKind(scene)].create(gpu, scene, opts);
}

export function gradcheckSubject(gpu: GpuContext, scene: Scene): Promise<GradcheckSubject> {
  return families[sceneKind(scene)].gradcheckSubject(gpu, scene);
}

export function paramNames(scene: Scene): string[] {
  return families[sceneKind(scene)].paramNames(scene);
}
