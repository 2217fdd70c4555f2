import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Child processes, not worker threads: Dawn is a native addon and holds process-wide state.
    pool: 'forks',
    // Flag set before any module loads, in addition to tests/setup/v8-flags.ts (why: that file).
    execArgv: ['--max-opt=2'],
    setupFiles: ['tests/setup/v8-flags.ts'],
    // A scratch folder for the whole run, so work shared by several files is done once (why: that file).
    globalSetup: ['tests/setup/run-dir.ts'],
    // lavapipe on two CPU cores: GPU work is slow and parallel files fight over the same cores.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
