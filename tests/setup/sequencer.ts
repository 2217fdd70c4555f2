// The order vitest starts test files in: longest first, so that no long file starts last and runs
// alone on one worker while the other sits idle. Vitest does that by itself only when its cache
// (node_modules/.vite/vitest) holds durations from an earlier run; a fresh CI checkout has none and
// vitest would start the largest files first, which are not the slowest (a browser or a cold-compile
// file is short). So a file without a cached duration takes its estimate from SLOW below.
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Rough wall times (ms) of the slowest files, warm Mesa cache, one file at a time: only their order
 * matters. A file not listed counts as 0 (it is one of the many files of a few seconds).
 */
const SLOW: Record<string, number> = {
  'tests/browser/interact.test.ts': 67_000,
  'tests/cli/cli.test.ts': 60_000,
  'tests/springs/vertex-triangle.test.ts': 53_000,
  'tests/browser/page.test.ts': 39_000,
  'tests/core/gradcheck.test.ts': 33_000,
  'tests/browser/optimize.test.ts': 21_000,
  'tests/browser/three-view.test.ts': 21_000,
  'tests/mpm/collider-aligned.test.ts': 17_000,
  'tests/browser/draw-3d.test.ts': 17_000,
  'tests/opt/tasks.test.ts': 17_000,
  'tests/opt/controller-tasks.test.ts': 13_000,
  'tests/control/batch.test.ts': 13_000,
  'tests/browser/replay.test.ts': 13_000,
  'tests/springs/physics.test.ts': 12_000,
  'tests/mpm/sorted-rollout.test.ts': 11_000,
  'tests/opt/shared.test.ts': 10_000,
  'tests/mpm/stage-adjoints.test.ts': 10_000,
  'tests/browser/draw.test.ts': 9_000,
};

export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const estimate = (f: TestSpecification): number => {
      const rel = relative(root, f.moduleId).split('\\').join('/');
      return this.ctx.cache.getFileTestResults(`${f.project.name}:${rel}`)?.duration ?? SLOW[rel] ?? 0;
    };
    const byDefault = await super.sort(files); // failed first, then vitest's own order: kept for ties
    const rank = new Map(byDefault.map((f, i) => [f, i]));
    return [...files].sort((a, b) => estimate(b) - estimate(a) || rank.get(a)! - rank.get(b)!);
  }
}
