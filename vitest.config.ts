import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import LongestFirstSequencer from './tests/setup/sequencer';

/** Files whose assertions compare wall-clock times (milliseconds of polling and pacing). */
const TIMED = ['tests/gpu/dawn-poll.test.ts', 'tests/gpu/pacer.test.ts'];

export default defineConfig({
  test: {
    // Child processes, not worker threads: Dawn is a native addon and holds process-wide state.
    pool: 'forks',
    // Flag set before any module loads, in addition to tests/setup/v8-flags.ts (why: that file).
    execArgv: ['--max-opt=2'],
    setupFiles: ['tests/setup/v8-flags.ts'],
    // A scratch folder for the whole run, so work shared by several files is done once (why: that file).
    globalSetup: ['tests/setup/run-dir.ts'],
    // One file per core, not vitest's default of one less: on two cores that default is a single
    // worker, and a file spends much of its time in one thread (Node, an LLVM compile in lavapipe,
    // a page waiting on chromium) while the other core idles.
    maxWorkers: availableParallelism(),
    // Longest files first, cached durations or else a list of the slow ones (why: that file).
    sequence: { sequencer: LongestFirstSequencer },
    // lavapipe on two CPU cores: GPU work is slow and parallel files fight over the same cores.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Tests that time the event loop or the GPU in milliseconds run after the rest, one file at a
    // time, so that the other worker's file does not starve them (a 5 ms timer overtook an Immediate
    // in tests/gpu/dawn-poll.test.ts when two files ran beside other jobs).
    projects: [
      { extends: true, test: { name: 'suite', include: ['tests/**/*.test.ts'], exclude: TIMED } },
      { extends: true, test: { name: 'timed', include: TIMED, maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
});
