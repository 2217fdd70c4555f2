// The page (index.html): runs a registered scene, or one opened from a JSON file, on the same
// simulator code as the CLI and draws it with three.js (three-view.ts). URL parameters: ?scene=<name>,
// ?paused, ?spf=<steps per frame>, ?view=points (the flat-disc view instead of three.js). Exposes window.torsion for the browser tests.
import { buildScene, sceneList } from '../../scenes/index';
import { NoAdapterError, requestGpu, type GpuContext } from '../gpu/device';
import type { Scene } from '../simulators';
import { parseSceneJson, SceneError } from '../mpm/validate';
import { Controls, FILE_SCENE, MAX_STEPS_PER_FRAME } from './controls';
import { Viewer } from './viewer';
import { Panel, withParam } from './panel';

export interface TorsionPageApi {
  /** Resolves once the first scene is loaded and drawn; rejects if the page could not start. */
  ready: Promise<void>;
  /** Advances n steps (paused or playing), draws, and waits for the GPU and the blow-up check. */
  step(n: number): Promise<void>;
  /** `view`: 'three' or 'points' (the flat-disc fallback; `viewFallback` says why), '' before start. */
  stats(): { step: number; particles: number; adapter: string; scene: string; playing: boolean; stepsPerSecond: number; blowUp: string | null;
    view: string; viewFallback: string | null };
  /** Positions of the particles, [N][DIM] float32 (a read-back). */
  readPositions(): Promise<Float32Array>;
  /** Sets a panel parameter (panel.ts keys: 'gravity', 'E.0', ...) as the panel does: resolves to the error shown, or null once loaded. */
  setParam(key: string, value: number): Promise<string | null>;
  /** The error box's text, '' when hidden. */
  errorText(): string;
}

declare global {
  interface Window { torsion: TorsionPageApi }
}

const DEFAULT_SCENE = 'dam-break-2d';
const params = new URLSearchParams(location.search);
const ui = new Controls();
const scenes = sceneList.map((s) => ({ ...s, dim: buildScene(s.name).dim }));
let viewer: Viewer | null = null;
let gpu: GpuContext | null = null;
let panel: Panel | null = null;
/** Scenes opened from files this session, by name, so the list can switch back to them. */
const fileScenes = new Map<string, Scene>();

function need(): Viewer {
  if (!viewer) throw new Error('the viewer did not start (see the message in the page)');
  return viewer;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function loadScene(scene: Scene): Promise<void> {
  const v = need();
  ui.setEnabled(false);
  try {
    await v.load(scene);
    ui.showError(null);
    panel?.show(scene);
    // the URL names the scene, so it can be linked (scenes opened from files have no registry name)
    if (!fileScenes.has(scene.name) && sceneList.some((s) => s.name === scene.name)) {
      const u = new URL(location.href);
      u.searchParams.set('scene', scene.name);
      history.replaceState(null, '', u);
    }
  } finally {
    ui.setEnabled(true);
  }
}

async function openFile(file: File): Promise<void> {
  let scene: Scene;
  try {
    scene = parseSceneJson(await file.text(), gpu?.limits);
  } catch (e) {
    // A SceneError is the user's to fix: shown in the page, the current scene keeps running.
    const what = e instanceof SceneError ? 'is not a valid scene' : 'could not be read';
    ui.showError(`${file.name} ${what}: ${errorText(e)}`);
    return;
  }
  await loadScene(scene);
  fileScenes.set(scene.name, scene);
  ui.selectFileScene(scene.name);
}

function refreshStatus(): void {
  if (!viewer || !gpu) return;
  const v = viewer;
  const rate = v.playing ? `${v.stepsPerSecond.toFixed(0)} steps/s` : 'paused';
  panel?.updateStats(v.stepsPerSecond);
  ui.setStatus(`step ${v.step} · ${v.particles} particles · ${rate} · adapter: ${gpu.adapterName}`);
}

async function start(): Promise<void> {
  ui.setEnabled(false);
  const wanted = params.get('scene') ?? DEFAULT_SCENE;
  const first = scenes.some((s) => s.name === wanted) ? wanted : DEFAULT_SCENE;
  ui.setScenes(scenes, first);
  const spf = Math.min(MAX_STEPS_PER_FRAME, Math.max(1, Math.round(Number(params.get('spf') ?? ui.spfInput.value)) || 1));
  ui.spfInput.value = String(spf);
  gpu = await requestGpu();
  const v = (viewer = await Viewer.create(gpu, ui.canvas, {
    blowUp: (b) => ui.showError(`Stopped: ${b.message}. Press Reset to start again.`),
    gpuErrors: (m) => ui.showError(`WebGPU error: ${m.join('\n')}`),
    playing: (on) => ui.setPlaying(on),
  }, params.get('view') === 'points' ? 'points' : 'three'));
  if (v.view.name === 'points') ui.setScenes(scenes, first, true);
  v.stepsPerFrame = spf;
  ui.wire({
    scene: (value) => {
      const fromFile = value.startsWith(FILE_SCENE) ? fileScenes.get(value.slice(FILE_SCENE.length)) : undefined;
      loadScene(fromFile ?? buildScene(value)).catch((e) => ui.showError(errorText(e)));
    },
    playPause: () => v.setPlaying(!v.playing),
    reset: () => { v.reset(); ui.showError(null); },
    stepsPerFrame: (n) => { v.stepsPerFrame = n; },
    colorMode: (m) => v.setColorMode(m),
    file: (f) => { openFile(f).catch((e) => ui.showError(errorText(e))); },
  });
  panel = new Panel(undefined, {
    apply: (scene) => loadScene(scene),
    error: (text) => ui.showError(text),
    step: () => { v.advance(1).then(refreshStatus, (e) => ui.showError(errorText(e))); },
  }, gpu.limits);
  await loadScene(buildScene(first));
  v.start();
  v.setPlaying(!params.has('paused'));
  ui.setPlaying(v.playing);
  setInterval(refreshStatus, 250);
  refreshStatus();
  await v.advance(0);
}

/** What a person in a browser without WebGPU can do (NoAdapterError's own hint is for Node and the CLI). */
const BROWSER_HINT = `This page runs its simulations with WebGPU, which this browser does not give it. Open it in a browser \
with WebGPU: Chrome or Edge 113 or later (Chromium on Linux: start it with --enable-unsafe-webgpu --enable-features=Vulkan; \
chrome://gpu shows whether WebGPU is on), Safari 26, or Firefox 141 or later on Windows. The same scenes run without \
a browser: npx torsion run <scene> (see README.md).`;

const ready = start();
ready.catch((e) => {
  if (e instanceof NoAdapterError) {
    // The common case: say what is missing and what to do, instead of an empty canvas.
    ui.showError(`${errorText(e).split('\n')[0]}\n${BROWSER_HINT}`);
    ui.canvas.hidden = true;
  } else {
    ui.showError(`The viewer failed to start: ${errorText(e)}`);
  }
  ui.setStatus('no simulation running');
});

window.torsion = {
  ready,
  step: (n) => need().advance(n).finally(refreshStatus),
  stats: () => ({
    step: viewer?.step ?? 0,
    particles: viewer?.particles ?? 0,
    adapter: gpu?.adapterName ?? '',
    scene: viewer?.scene?.name ?? '',
    playing: viewer?.playing ?? false,
    stepsPerSecond: viewer?.stepsPerSecond ?? 0,
    blowUp: viewer?.blowUp?.message ?? null,
    view: viewer?.view.name ?? '',
    viewFallback: viewer?.fallbackReason ?? null,
  }),
  readPositions: () => need().readPositions(),
  setParam: async (key, value) => {
    const v = need();
    let next: Scene;
    try {
      next = withParam(v.scene!, key, value, gpu?.limits);
    } catch (e) {
      ui.showError(`${key} = ${value} was refused: ${errorText(e)}`);
      return document.getElementById('error')!.textContent;
    }
    await loadScene(next);
    return null;
  },
  errorText: () => {
    const el = document.getElementById('error')!;
    return el.hidden ? '' : el.textContent ?? '';
  },
};
