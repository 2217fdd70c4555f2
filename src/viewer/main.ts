// The page (index.html): runs a registered scene, or one opened from a JSON file (an OBJ mesh: draped
// on a ball, scenes/obj-drape.ts), on the same simulator code as the CLI and draws it with three.js
// (three-view.ts). URL parameters: ?scene=<name>,
// ?paused, ?spf=<steps per frame>, ?view=points (the flat-disc view instead of three.js),
// ?replay=<folder URL> (a CLI run folder's replay; `torsion view` serves one), ?file=<URL> (a scene's .json or an .obj), ?draw=off (step without drawing, to measure drawing's cost),
// ?demo=walker|mpc (demos.ts). The pointer drags a finger or a hand through the scene (interact.ts). Exposes window.torsion for the browser tests.
import { buildScene, sceneList } from '../../scenes/index';
import { NoAdapterError, requestGpu, type GpuContext } from '../gpu/device';
import type { Scene } from '../simulators';
import { parseSceneJson, SceneError } from '../mpm/validate';
import { objDrapeScene } from '../../scenes/obj-drape';
import { Controls, DEMO_SCENE, FILE_SCENE, MAX_STEPS_PER_FRAME } from './controls';
import { Viewer } from './viewer';
import { parseReplay, ReplayError } from './replay';
import { withBodyTracks } from '../opt/scene-tracks';
import { OptimizePanel, type OptimizeResult } from './optimize-panel';
import { Panel } from './panel';
import type { ColorMode } from './scene-view';
import { Interaction } from './interact';
import { Demos, type DemoApi } from './demos';

export interface TorsionPageApi {
  /** Resolves once the first scene is loaded and drawn; rejects if the page could not start. */
  ready: Promise<void>;
  /** Advances n steps (paused or playing), draws, and waits for the GPU and the blow-up check. */
  step(n: number): Promise<void>;
  /** `view`: 'three' or 'points' (the flat-disc fallback; `viewFallback` says why), '' before start. */
  stats(): { step: number; particles: number; adapter: string; scene: string; playing: boolean; stepsPerSecond: number; framesPerSecond: number; blowUp: string | null;
    view: string; viewFallback: string | null };
  /** Positions of the particles, [N][DIM] float32 (a read-back). */
  readPositions(): Promise<Float32Array>;
  /** Opens the replay in the run folder at `url` (as ?replay= does); rejects with the page's message. */
  openReplay(url: string): Promise<void>;
  /** Shows frame k of the open replay, draws it and waits for the GPU; null frames when none is open. */
  showFrame(k: number): Promise<{ frame: number; frames: number } | null>;
  /** Runs the Optimize panel for `iterations` on the scene shown (as its button does); resolves when it ends or is stopped. */
  optimize(iterations: number, steps?: number): Promise<OptimizeResult>;
  /** The Stop button. */
  stopOptimize(): void;
  /** Drawing on or off while playing (?draw=off starts with it off). */
  setDrawing(on: boolean): void;
  /** Steps per frame (the input's value). */
  setStepsPerFrame(n: number): void;
  /** Sets a panel parameter (panel.ts keys: 'resolution', 'gravity', 'E.0', ...) as the panel does: resolves to the error shown, or null once loaded. */
  setParam(key: string, value: number): Promise<string | null>;
  /** The colour mode, as the panel's choice sets it. */
  setColorMode(mode: ColorMode): void;
  /** The colour modes the scene shown offers. */
  colorModes(): ColorMode[];
  /** The error box's text, '' when hidden. */
  errorText(): string;
  /** Where a domain point is on the page (client pixels), to move the mouse there. */
  toClient(point: number[]): [number, number];
  /** The body the pointer drags ('finger', 'hand' or ''), where it is, the grabbed vertex and the grabs so far; after any grab or release in progress. */
  grabState(): Promise<{ body: string; at: number[]; vertex: number; grabs: number }>;
  demo: DemoApi;
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
let optimizer: OptimizePanel | null = null;
let panel: Panel | null = null;
let interaction: Interaction | null = null;
let demos: Demos | null = null;
/** Scenes opened from files this session, by name, so the list can switch back to them. */
const fileScenes = new Map<string, Scene>();

function need(): Viewer {
  if (!viewer) throw new Error('the viewer did not start (see the message in the page)');
  return viewer;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The address bar names the scene shown, so a view can be linked (?scene=); a file's scene has no name to link. */
function linkScene(name: string | null): void {
  const q = new URLSearchParams(location.search);
  if (name && scenes.some((s) => s.name === name)) q.set('scene', name); else q.delete('scene');
  q.delete('replay');
  q.delete('file');
  if (demos?.active) q.set('demo', demos.active); else q.delete('demo');
  replaceQuery(q);
}

/** The page's URL with query `q`, in place (no history entry). */
function replaceQuery(q: URLSearchParams): void {
  const search = q.toString();
  history.replaceState(null, '', `${location.pathname}${search ? `?${search}` : ''}${location.hash}`);
}

/**
 * Loads `scene` at step 0; `edit`: the running scene with a parameter changed (a demo on it goes on);
 * `file`: a scene opened from a file, whose list entry stays selected even where it has a registered scene's name.
 */
async function loadScene(scene: Scene, o: { edit?: boolean; file?: boolean } = {}): Promise<void> {
  const v = need();
  optimizer?.stop(); // an optimization of the scene left behind ends after its iteration
  ui.setEnabled(false);
  try {
    await v.load(scene);
    ui.showError(null);
    // a registered scene the list did not choose (a demo's) is shown there too; a file's scene is selected by openFile
    if (!o.edit && !o.file && scenes.some((s) => s.name === scene.name)) ui.sceneSelect.value = scene.name;
    ui.setColorModes(v.colorModes, v.view.colorMode);
    panel?.show(scene, v.colorModes, v.view.colorMode);
    if (o.edit) await demos?.reapply(); else demos?.sceneChanged(scene);
  } finally {
    ui.setEnabled(true);
    optimizer?.sceneChanged(v.scene);
  }
}

/** A replay (replay.json's text and replay.bin's bytes) on its scene: scene.json's text, else the registered scene it names. */
async function openReplay(header: string, bin: ArrayBuffer, sceneText: string | null, from: string): Promise<void> {
  let scene: Scene;
  try {
    const replay = parseReplay(header, bin);
    if (sceneText !== null) scene = parseSceneJson(sceneText, gpu?.limits);
    else if (scenes.some((s) => s.name === replay.scene)) scene = buildScene(replay.scene);
    else throw new ReplayError(`its scene '${replay.scene}' is not a registered one: open the scene.json written beside it too`);
    // an optimize run's best point: its tuned bodies' tracks, so they are drawn where they moved
    if (replay.tracks) scene = withBodyTracks(scene, replay.tracks);
    ui.setEnabled(false);
    try {
      await need().loadReplay(scene, replay);
    } finally {
      ui.setEnabled(true);
    }
  } catch (e) {
    ui.showError(`The replay ${from} could not be opened: ${errorText(e)}`);
    throw e;
  }
  optimizer?.stop();
  ui.showError(null);
  ui.setColorModes(need().colorModes, need().view.colorMode);
  // the replay's scene, its parameters fixed: an edit would leave the replay for a live run
  panel?.show(scene, need().colorModes, need().view.colorMode, { replay: true });
  fileScenes.set(scene.name, scene);
  ui.selectFileScene(scene.name);
  need().setPlaying(false);
  ui.setFrame(need().replayFrame);
  optimizer?.sceneChanged(need().scene);
}

/** A scene file (.json, or an .obj mesh) at a URL, opened as if chosen (`torsion view <file>` serves one). */
async function openFileUrl(url: string, asGiven: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '') || 'scene.json';
  let blob: Blob;
  try {
    const r = await fetch(url);
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    blob = await r.blob();
  } catch (e) {
    ui.showError(`The scene file at ${url} could not be fetched: ${errorText(e)}`);
    return;
  }
  const before = viewer?.scene;
  await openFiles([new File([blob], name)]);
  // opening it cleared the address's scene: a reload opens the file again
  if (viewer?.scene !== before) { const q = new URLSearchParams(location.search); q.set('file', asGiven); replaceQuery(q); }
}

async function openReplayUrl(url: string): Promise<void> {
  const base = url.endsWith('/') ? url : `${url}/`;
  const get = async (name: string, optional = false): Promise<Response | null> => {
    const r = await fetch(base + name);
    if (r.ok) return r;
    if (optional && r.status === 404) return null;
    throw new ReplayError(`${name}: HTTP ${r.status}`);
  };
  let parts: [string, ArrayBuffer, string | null];
  try {
    // fetched together, a failure reported in the files' order (which request fails first is a race)
    const got = await Promise.allSettled([get('replay.json'), get('replay.bin'), get('scene.json', true)]);
    const failed = got.find((g) => g.status === 'rejected');
    if (failed) throw failed.reason;
    const [h, b, sc] = got.map((g) => (g as PromiseFulfilledResult<Response | null>).value);
    parts = [await h!.text(), await b!.arrayBuffer(), sc ? await sc.text() : null];
  } catch (e) {
    ui.showError(`The replay at ${base} could not be opened: ${errorText(e)}`);
    throw e;
  }
  await openReplay(...parts, `at ${base}`);
}

async function openFiles(files: File[]): Promise<void> {
  // A whole run folder may be chosen or dropped: its files are told apart by name first (state.bin,
  // best.json, summary.json, mpc.jsonl sit beside the replay), in whatever order they come.
  const named = <T extends { name: string }>(xs: T[], name: string): T | undefined => xs.find((x) => x.name === name);
  const obj = files.find((f) => /\.obj$/i.test(f.name));
  if (obj) { await openObj(obj); return; }
  const bins = files.filter((f) => f.name.endsWith('.bin'));
  const bin = named(bins, 'replay.bin') ?? (bins.length === 1 ? bins[0] : undefined);
  const jsons = await Promise.all(files.filter((f) => !f.name.endsWith('.bin')).map(async (f) => ({ f, name: f.name, text: await f.text() })));
  // replay.json is told from a scene by its frame count; a scene file has none.
  const isReplay = (t: string) => { try { const o = JSON.parse(t); return typeof o === 'object' && o !== null && 'frames' in o && 'particles' in o; } catch { return false; } };
  const header = named(jsons, 'replay.json') ?? jsons.find((j) => isReplay(j.text));
  if (header || bins.length) {
    if (!header || !bin) { ui.showError('To open a replay, choose replay.json and replay.bin together (and scene.json if its scene is not a registered one).'); return; }
    const others = jsons.filter((j) => j !== header);
    const sceneFile = named(others, 'scene.json') ?? (others.length === 1 ? others[0] : undefined);
    await openReplay(header.text, await bin.arrayBuffer(), sceneFile?.text ?? null, files.map((f) => f.name).join(' + '))
      .then(() => linkScene(null), () => undefined);
    return;
  }
  const scene = named(jsons, 'scene.json') ?? jsons.find((j) => !RUN_FILES[j.name]);
  if (scene) { await openFile(scene.f); return; }
  if (jsons.length) {
    const j = jsons[0];
    ui.showError(`${j.name} is a run's ${RUN_FILES[j.name]}, not a scene: to watch the run, choose its replay.json and replay.bin together (or the whole folder); to run its scene, choose scene.json.`);
  }
}

/** The files a run folder holds beside its scene and replay (src/cli/results.ts), by what they are. */
const RUN_FILES: Record<string, string> = {
  'state.json': 'final state (its header)', 'summary.json': 'summary', 'best.json': 'best parameters',
  'run.json': 'options', 'progress.jsonl': 'progress log', 'mpc.jsonl': 're-plan log',
};

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
  await showFileScene(scene);
}

/** An OBJ mesh, dropped as a cloth on a ball (scenes/obj-drape.ts), at the time step its fineness allows. */
async function openObj(file: File): Promise<void> {
  let scene: Scene;
  try {
    scene = objDrapeScene(await file.text(), { name: file.name.replace(/\.obj$/i, '') }).scene;
  } catch (e) {
    // the message names the OBJ line, or the face that does not triangulate
    ui.showError(`${file.name} is not a mesh the page can drape: ${errorText(e)}`);
    return;
  }
  await showFileScene(scene);
}

async function showFileScene(scene: Scene): Promise<void> {
  await loadScene(scene, { file: true });
  fileScenes.set(scene.name, scene);
  ui.selectFileScene(scene.name);
  linkScene(null); // a reload must not show the scene named before
}

function refreshStatus(): void {
  if (!viewer || !gpu) return;
  const v = viewer;
  const rp = v.replayFrame;
  ui.setFrame(rp);
  const sps = v.stepsPerSecond;
  const live = sps > 0 ? `${sps.toFixed(0)} steps/s (${(1000 / sps).toPrecision(2)} ms/step)` : 'measuring';
  const rate = rp ? `replay frame ${rp.frame + 1}/${rp.frames}` : v.playing ? `${live} · ${v.framesPerSecond.toFixed(0)} draws/s` : 'paused';
  panel?.updateStats(v.stepsPerSecond);
  // a spring or shell scene's items are its vertices
  ui.setStatus(`step ${v.step} · ${v.particles} ${v.sim && v.sim.kind !== 'mpm' ? 'vertices' : 'particles'} · ${rate} · adapter: ${gpu.adapterName}`);
}

/** Registered scene `name`, built; the panel then offers its resolution knob. */
function registered(name: string): Scene {
  const scene = buildScene(name);
  return panel ? panel.fromRegistry(scene, name) : scene;
}

/** The colour mode, from the panel or the bar: both show it. */
function setColorMode(mode: ColorMode): void {
  const v = need();
  v.setColorMode(mode);
  ui.colorSelect.value = v.view.colorMode;
  panel?.setColorMode(v.view.colorMode);
}

/**
 * The URL's options, checked: a value the page cannot use is replaced by the default and named in
 * `notices` (shown once the first scene runs), with what is allowed.
 */
function urlOptions(): { scene: string; spf: number; view: 'three' | 'points'; replay: string | null; file: string | null; notices: string[] } {
  const notices: string[] = [];
  const wanted = params.get('scene');
  let scene = wanted ?? DEFAULT_SCENE;
  if (!scenes.some((s) => s.name === scene)) {
    notices.push(`?scene=${wanted}: no such scene; showing ${DEFAULT_SCENE} (the scenes are in the list)`);
    scene = DEFAULT_SCENE;
    const q = new URLSearchParams(location.search);
    q.delete('scene');
    replaceQuery(q);
  }
  const defaultSpf = Number(ui.spfInput.value);
  let spf = defaultSpf;
  const rawSpf = params.get('spf');
  if (rawSpf !== null) {
    const n = Number(rawSpf);
    if (rawSpf.trim() === '' || !Number.isInteger(n) || n < 1) notices.push(`?spf=${rawSpf}: allowed a whole number of steps per frame from 1 to ${MAX_STEPS_PER_FRAME}; using ${defaultSpf}`);
    else if (n > MAX_STEPS_PER_FRAME) { spf = MAX_STEPS_PER_FRAME; notices.push(`?spf=${rawSpf}: at most ${MAX_STEPS_PER_FRAME} steps per frame; using ${spf}`); }
    else spf = n;
  }
  const rawView = params.get('view');
  if (rawView !== null && rawView !== 'three' && rawView !== 'points') notices.push(`?view=${rawView}: allowed 'three' or 'points'; using three`);
  const replay = params.get('replay');
  if (replay !== null && replay.trim() === '') notices.push(`?replay= is empty: give a run folder's URL (npx torsion view <folder> prints one)`);
  const file = params.get('file');
  if (file !== null && file.trim() === '') notices.push(`?file= is empty: give a scene file's URL (.json, or an .obj mesh; npx torsion view <file> prints one)`);
  return { scene, spf, view: rawView === 'points' ? 'points' : 'three', replay: replay?.trim() ? replay : null, file: file?.trim() ? file : null, notices };
}

async function start(): Promise<void> {
  ui.setEnabled(false);
  const opts = urlOptions();
  const first = opts.scene;
  ui.setScenes(scenes, first);
  const spf = opts.spf;
  ui.spfInput.value = String(spf);
  gpu = await requestGpu();
  const v = (viewer = await Viewer.create(gpu, ui.canvas, {
    blowUp: (b) => ui.showError(`Stopped: ${b.message}. Press Reset to start again.`),
    gpuErrors: (m) => ui.showError(`WebGPU error: ${m.join('\n')}`),
    playing: (on) => {
      ui.setPlaying(on);
      // ?paused holds the first load only: once playing, a reload or a copied link plays too
      const q = new URLSearchParams(location.search);
      if (on && q.has('paused')) { q.delete('paused'); replaceQuery(q); }
    },
  }, opts.view));
  if (v.view.name === 'points') ui.setScenes(scenes, first, true);
  optimizer = new OptimizePanel(gpu, v, (m) => ui.showError(m), () => { ui.setPlaying(v.playing); refreshStatus(); });
  v.stepsPerFrame = spf;
  v.drawing = params.get('draw') !== 'off';
  ui.wire({
    scene: (value) => {
      if (value.startsWith(DEMO_SCENE)) {
        const name = value.slice(DEMO_SCENE.length);
        demos?.start(name).catch((e) => ui.showError(`The ${name} demo did not start: ${errorText(e)}`));
        return;
      }
      const fromFile = value.startsWith(FILE_SCENE) ? fileScenes.get(value.slice(FILE_SCENE.length)) : undefined;
      loadScene(fromFile ?? registered(value), { file: !!fromFile }).then(() => linkScene(fromFile ? null : value), (e) => ui.showError(errorText(e)));
    },
    playPause: () => v.setPlaying(!v.playing),
    reset: () => { v.reset(); ui.showError(null); },
    stepsPerFrame: (n) => { v.stepsPerFrame = n; },
    colorMode: (m) => setColorMode(m),
    file: (f) => { openFiles(f).catch((e) => ui.showError(errorText(e))); },
    frame: (k) => { v.showFrame(k); v.setPlaying(false); refreshStatus(); },
  });
  panel = new Panel(document.getElementById('panel') ?? undefined, {
    apply: (scene) => loadScene(scene, { edit: true }),
    error: (text) => ui.showError(text),
    step: () => { v.advance(1).then(refreshStatus, (e) => ui.showError(errorText(e))); },
    colorMode: (m) => setColorMode(m),
  }, gpu.limits);
  const it = (interaction = new Interaction({
    viewer: v, canvas: ui.canvas,
    // the scene with the finger or hand added or removed, going on from the same state
    swap: async (scene) => { await v.load(scene, { carry: true }); await demos?.reapply(); },
    error: (text) => ui.showError(text),
  }));
  panel.gui.add(it, 'mouseMode', ['orbit', 'grab']).name('3D drag (Shift: grab)');
  const d = (demos = new Demos({
    viewer: v, gpu, ui, panel, interaction: it,
    load: async (scene) => {
      await loadScene(scene);
      // loadScene selects a registered scene; a demo's own one gets an entry of its own
      if (!scenes.some((s) => s.name === scene.name) && demos?.active) ui.selectDemoScene(demos.active, scene.name);
    },
    urlChanged: () => linkScene(v.scene?.name ?? null),
  }));
  v.beforeSteps = (sim, step, count) => {
    it.beforeSteps(sim, step, count);
    d.beforeSteps(sim, step, count);
  };
  setInterval(() => d.tick(), 250);
  await loadScene(registered(first));
  if (opts.replay !== null) await openReplayUrl(new URL(opts.replay, location.href).href).catch(() => undefined);
  if (opts.file !== null) await openFileUrl(new URL(opts.file, location.href).href, opts.file);
  v.start();
  v.setPlaying(!params.has('paused'));
  ui.setPlaying(v.playing);
  setInterval(refreshStatus, 250);
  refreshStatus();
  await v.advance(0);
  const demo = params.get('demo');
  if (demo) {
    await d.start(demo).catch((e) => {
      ui.showError(`The ${demo} demo did not start: ${errorText(e)}`);
      // a reload must not fail the same way
      const q = new URLSearchParams(location.search);
      q.delete('demo');
      replaceQuery(q);
    });
  }
  // after the loads above, which clear the box when they succeed
  if (opts.notices.length) ui.showError([ui.error.hidden ? '' : ui.error.textContent, ...opts.notices].filter(Boolean).join('\n'));
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
    framesPerSecond: viewer?.framesPerSecond ?? 0,
    blowUp: viewer?.blowUp?.message ?? null,
    view: viewer?.view.name ?? '',
    viewFallback: viewer?.fallbackReason ?? null,
  }),
  readPositions: () => need().readPositions(),
  openReplay: (url) => openReplayUrl(new URL(url, location.href).href).finally(refreshStatus),
  optimize: (iterations, steps) => {
    if (!optimizer) return Promise.reject(new Error('the viewer did not start (see the message in the page)'));
    return optimizer.run(iterations, steps);
  },
  stopOptimize: () => optimizer?.stop(),
  setDrawing: (on) => { need().drawing = on; },
  setStepsPerFrame: (n) => { need().stepsPerFrame = Math.min(MAX_STEPS_PER_FRAME, Math.max(1, Math.round(n))); ui.spfInput.value = String(need().stepsPerFrame); },
  showFrame: async (k) => {
    const v = need();
    v.showFrame(k);
    await v.advance(0);
    refreshStatus();
    return v.replayFrame;
  },
  setParam: (key, value) => (panel ? panel.set(key, value) : Promise.reject(new Error('the viewer did not start (see the message in the page)'))),
  setColorMode: (mode) => setColorMode(mode),
  colorModes: () => need().colorModes.slice(),
  errorText: () => {
    const el = document.getElementById('error')!;
    return el.hidden ? '' : el.textContent ?? '';
  },
  toClient: (p) => {
    if (!interaction) throw new Error('the viewer did not start (see the message in the page)');
    return interaction.toClient(p);
  },
  grabState: async () => {
    if (!interaction) throw new Error('the viewer did not start (see the message in the page)');
    await interaction.settled();
    return { ...interaction.state, grabs: interaction.grabs };
  },
  demo: {
    start: (name, o) => (demos ? demos.start(name, o) : Promise.reject(new Error('the viewer did not start (see the message in the page)'))),
    stop: () => demos?.stop(),
    setCommand: (speed) => { if (!demos) throw new Error('the viewer did not start'); demos.api().setCommand(speed); },
    setGoal: (goal) => { if (!demos) throw new Error('the viewer did not start'); demos.api().setGoal(goal); },
    state: () => demos?.api().state() ?? { active: '' },
  },
};
