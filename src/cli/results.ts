// Where commands write what a user keeps. Every file is written whole (temp file + rename) or
// appended line by line, so a crash or Ctrl-C never leaves a half-written result behind.
import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export function makeRunDir(out: string | undefined, command: string, scene: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = resolve(out ?? join('runs', `${command}-${scene}-${stamp}`));
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export function writeJson(path: string, value: unknown): void {
  writeAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

export function appendJsonLine(path: string, value: unknown): void {
  appendFileSync(path, `${JSON.stringify(value)}\n`);
}

export function floatBytes(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Sets a flag on the first Ctrl-C so a loop can stop cleanly after the current unit of work; a second Ctrl-C exits. */
export function onInterrupt(): { readonly stop: boolean; dispose(): void } {
  const state = { stop: false };
  const handler = () => {
    if (state.stop) process.exit(130);
    state.stop = true;
    process.stderr.write('\nInterrupted: finishing the current iteration and saving results (Ctrl-C again to quit now)\n');
  };
  process.on('SIGINT', handler);
  return { get stop() { return state.stop; }, dispose: () => { process.off('SIGINT', handler); } };
}
