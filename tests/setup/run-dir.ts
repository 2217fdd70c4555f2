// vitest globalSetup: one scratch folder per `vitest run`, shared by every worker process and removed
// when the run ends. Test helpers keep run-wide artifacts there that would otherwise be rebuilt per
// file (the built site that the browser tests serve: tests/browser/harness.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Absolute path of this run's scratch folder. */
    torsionRunDir: string;
  }
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'torsion-run-'));
  project.provide('torsionRunDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
