// The results folders of the commands (src/cli/results.ts), without a GPU.
import { dirname, resolve } from 'node:path';
import { expect, test } from 'vitest';
import { makeRunDir } from '../../src/cli/results';

test('a scene name with path separators or odd characters names one folder directly under runs/', () => {
  const runs = resolve('runs');
  for (const name of ['../../../../tmp/escaped', 'a/b', 'a b:c*?', '..']) {
    const dir = makeRunDir(undefined, 'run', name, { create: false });
    expect(dirname(dir), name).toBe(runs);
    expect(dir.slice(runs.length + 1)).toMatch(/^run-[A-Za-z0-9._-]+$/);
  }
  expect(makeRunDir(undefined, 'optimize', 'jelly-throw-2d', { create: false })).toMatch(/\/runs\/optimize-jelly-throw-2d-\d{4}-/);
});
