// Where commands write what a user keeps. Every file is written whole (temp file + rename) or
// appended line by line, so a crash or Ctrl-C never leaves a half-written result behind.
import { appendFileSync, existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { jsonText } from '../core/json-text';
import { UsageError } from './usage-error';

export type ResultsCommand = 'run' | 'optimize' | 'mpc';

/** The files each command writes into its folder: an --out folder is reused only by the command that wrote everything in it. */
const OWN_FILES: Record<ResultsCommand, string[]> = {
  run: ['state.bin', 'state.json', 'replay.bin', 'replay.json', 'scene.json'],
  optimize: ['scene.json', 'run.json', 'progress.jsonl', 'state.json', 'loss.svg', 'best.json', 'best-scene.json', 'summary.json', 'replay.bin', 'replay.json'],
  mpc: ['scene.json', 'mpc.jsonl', 'replay.bin', 'replay.json', 'summary.json'],
};

/**
 * The results folder of a command: --out, or a new one under runs/. Refuses, before any work, an
 * --out that is a file or holds what another command (or the user) put there: a run must not
 * overwrite an optimization's state or a user's files. `create: false` leaves making it to the
 * caller (ensureDir), so a run that fails leaves no empty folder behind.
 */
export function makeRunDir(out: string | undefined, command: ResultsCommand, scene: string, o: { create?: boolean } = {}): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  // a scene file's name is any text: one path component of it, so '../x' or 'a/b' stays under runs/
  const name = scene.replace(/[^A-Za-z0-9._-]+/g, '-');
  const dir = resolve(out ?? join('runs', `${command}-${name}-${stamp}`));
  if (out !== undefined && existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new UsageError(`--out ${out}: a file is there, not a folder`);
    const own = new Set(OWN_FILES[command]);
    const other = readdirSync(dir).filter((f) => !own.has(f) && !/\.tmp-\d+$/.test(f));
    if (other.length > 0) {
      const shown = other.slice(0, 4).join(', ') + (other.length > 4 ? `, ... (${other.length} in all)` : '');
      throw new UsageError(`--out ${out} holds files '${command}' does not write (${shown}): choose another folder; nothing there was changed`);
    }
  }
  if (o.create ?? true) ensureDir(dir);
  return dir;
}

export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
}

export function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export function writeJson(path: string, value: unknown): void {
  writeAtomic(path, `${jsonText(value)}\n`);
}

export function appendJsonLine(path: string, value: unknown): void {
  appendFileSync(path, `${JSON.stringify(value)}\n`);
}

export function floatBytes(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Sets a flag on the first Ctrl-C so a loop can stop cleanly after the current unit of work; a second Ctrl-C exits. */
export function onInterrupt(doing = 'finishing the current iteration and saving results'): { readonly stop: boolean; dispose(): void } {
  const state = { stop: false };
  const handler = () => {
    if (state.stop) process.exit(130);
    state.stop = true;
    process.stderr.write(`\nInterrupted: ${doing} (Ctrl-C again to quit now)\n`);
  };
  process.on('SIGINT', handler);
  return { get stop() { return state.stop; }, dispose: () => { process.off('SIGINT', handler); } };
}
