// `torsion list [--json]`: every registered scene with its kind, size, horizon, loss and what
// `torsion optimize` tunes there (and the success threshold where the scene states one).
import { buildScene, sceneList } from '../../scenes/index';
import { optimizeParams } from '../mpm/scene';
import { sceneKind } from '../simulators';

export interface SceneListing {
  name: string;
  description: string;
  kind: string;
  dim: number;
  /** Particles (MPM) or vertices (springs, shells). */
  items: number;
  steps: number;
  loss: string | null;
  optimize: { params: string[]; optimizer: string; iterations: number; threshold: number | null } | null;
  /** A model-predictive control task (`torsion mpc`): its goal's tolerance. */
  mpc: { tolerance: number } | null;
}

export function sceneListings(): SceneListing[] {
  return sceneList.map(({ name, description }) => {
    const s = buildScene(name);
    const items = 'particles' in s ? s.particles.x.length / s.dim : s.vertices.x.length / s.dim;
    return {
      name, description, kind: sceneKind(s), dim: s.dim, items, steps: s.steps, loss: s.loss?.kind ?? null,
      optimize: s.loss && s.optimize ? { params: optimizeParams(s.optimize), optimizer: s.optimize.optimizer ?? 'adam', iterations: s.optimize.iterations, threshold: s.optimize.threshold ?? null } : null,
      mpc: s.mpc ? { tolerance: s.mpc.tolerance } : null,
    };
  });
}

export function listScenes(json: boolean): number {
  const rows = sceneListings();
  if (json) { console.log(JSON.stringify(rows)); return 0; }
  const w = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) {
    const opt = r.optimize ? `optimize ${r.optimize.params.join(', ')} (${r.optimize.optimizer}${r.optimize.threshold !== null ? `, solved at loss <= ${Number(r.optimize.threshold.toPrecision(3))}` : ''})`
      : r.mpc ? `torsion mpc: chase a moving goal within ${r.mpc.tolerance}` : 'nothing to optimize';
    console.log(`${r.name.padEnd(w)}  ${r.kind.padEnd(7)} ${r.dim}D ${String(r.items).padStart(6)} items ${String(r.steps).padStart(5)} steps  ${r.description}\n${' '.repeat(w + 2)}${r.loss ? `loss ${r.loss}; ` : ''}${opt}`);
  }
  return 0;
}
