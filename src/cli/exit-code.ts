// The exit codes of the failures a user is told about without a stack trace: the commands'
// (main.ts) and those of a user's own program run by `torsion exec` (bin/torsion.mjs).
import { NoAdapterError } from '../gpu/device';
import { SceneError } from '../core/scene-error';
import { RolloutError } from '../core/rollout';
import { OptimizeError } from '../opt/loop';

/** 2 a bad scene, 3 no WebGPU adapter, 4 a blow-up or a failed optimization; null for anything else. */
export function exitCodeOf(e: unknown): 2 | 3 | 4 | null {
  if (e instanceof SceneError) return 2;
  if (e instanceof NoAdapterError) return 3;
  if (e instanceof RolloutError || e instanceof OptimizeError) return 4;
  return null;
}
