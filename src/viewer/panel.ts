// The parameter panel (lil-gui): the colour mode, the current scene's resolution (registered scenes
// whose builder has the knob) and physical parameters (gravity, damping, each MPM group's E and nu,
// each spring material's stiffness and damping), a single-step button and the frame-rate and
// step-time readouts. Editing a parameter builds a changed copy of the scene (a new resolution:
// rebuilt by the scene's builder, the other parameters carried over) and sends it through
// validateScene before anything reaches the GPU: a bad value leaves the running scene as it was and
// the validation error is shown in the page.
import GUI from 'lil-gui';
import type { Scene } from '../simulators';
import { validateScene, type SceneLimits } from '../mpm/validate';
import { buildScene, sceneResolution } from '../../scenes/index';
import type { ColorMode } from './scene-view';

/** One editable number of a scene: read from and written into a plain-data scene. */
export interface SceneParam {
  /** Stable key: 'gravity', 'damping', 'E.0', 'nu.0', 'stiffness.0', 'springDamping.0', 'mu.0', 'lambda.0', 'bending.0'. */
  key: string;
  label: string;
  get(scene: Scene): number;
  set(scene: Scene, value: number): void;
}

type Loose = Record<string, unknown> & { gravity: number[] };

/** The parameters of `scene` the panel can edit, in display order. */
export function sceneParams(scene: Scene): SceneParam[] {
  const out: SceneParam[] = [{
    key: 'gravity', label: 'gravity (axis 1)',
    get: (s) => s.gravity[1],
    set: (s, v) => { s.gravity = s.gravity.map((g, i) => (i === 1 ? v : g)); },
  }];
  const s = scene as unknown as Loose;
  if (Array.isArray(s.materials)) {
    out.push({
      key: 'damping', label: 'damping (1/s)',
      get: (x) => ((x as unknown as Loose).damping as number | undefined) ?? 0,
      set: (x, v) => { (x as unknown as Loose).damping = v; },
    });
    // what a material does depends on what uses it: springs their stiffness and damping, triangles
    // (cloth, paper) their membrane and the hinges between them their bending
    const springs = ((s.springs as { pairs?: number[] } | undefined)?.pairs?.length ?? 0) > 0;
    const triangles = ((s.triangles as { indices?: number[] } | undefined)?.indices?.length ?? 0) > 0;
    (s.materials as { name: string }[]).forEach((m, i) => {
      if (springs) {
        out.push({ key: `stiffness.${i}`, label: `${m.name}: stiffness`,
          get: (x) => mat(x, i).stiffness as number, set: (x, v) => { mat(x, i).stiffness = v; } });
        out.push({ key: `springDamping.${i}`, label: `${m.name}: spring damping`,
          get: (x) => mat(x, i).damping as number, set: (x, v) => { mat(x, i).damping = v; } });
      }
      if (triangles) {
        for (const [f, label] of [['mu', 'membrane mu'], ['lambda', 'membrane lambda'], ['bending', 'bending']] as const) {
          out.push({ key: `${f}.${i}`, label: `${m.name}: ${label}`,
            get: (x) => (mat(x, i)[f] as number | undefined) ?? 0, set: (x, v) => { mat(x, i)[f] = v; } });
        }
      }
    });
  }
  if (Array.isArray(s.groups)) {
    (s.groups as { name: string }[]).forEach((g, i) => {
      out.push({ key: `E.${i}`, label: `${g.name}: E`,
        get: (x) => grp(x, i).E as number, set: (x, v) => { grp(x, i).E = v; } });
      out.push({ key: `nu.${i}`, label: `${g.name}: nu`,
        get: (x) => grp(x, i).nu as number, set: (x, v) => { grp(x, i).nu = v; } });
    });
  }
  return out;
}

function mat(s: Scene, i: number): Record<string, unknown> {
  return ((s as unknown as Loose).materials as Record<string, unknown>[])[i];
}
function grp(s: Scene, i: number): Record<string, unknown> {
  return ((s as unknown as Loose).groups as Record<string, unknown>[])[i];
}

/**
 * A copy of `scene` with parameter `key` set to `value`, validated (throws the SceneError that names
 * the field, the value and the allowed range; throws for an unknown key).
 */
export function withParam(scene: Scene, key: string, value: number, limits?: SceneLimits): Scene {
  const p = sceneParams(scene).find((q) => q.key === key);
  if (!p) throw new Error(`scene ${scene.name} has no parameter '${key}' (it has: ${sceneParams(scene).map((q) => q.key).join(', ')})`);
  const copy = structuredClone(scene);
  p.set(copy, value);
  return validateScene(copy, limits) as Scene;
}

/**
 * Registered scene `name` rebuilt at `resolution`, with the parameters `from` has (its edits)
 * carried over, validated (throws the SceneError that names the field).
 */
export function withResolution(name: string, resolution: number, from: Scene, limits?: SceneLimits): Scene {
  const next = buildScene(name, { resolution }) as Scene;
  const keep = new Map(sceneParams(from).map((p) => [p.key, p.get(from)]));
  for (const p of sceneParams(next)) if (keep.has(p.key)) p.set(next, keep.get(p.key)!);
  return validateScene(next, limits) as Scene;
}

export interface PanelHooks {
  /** Loads the changed scene; rejects with the validation error (shown by the caller). */
  apply(scene: Scene): Promise<void>;
  error(text: string | null): void;
  step(): void;
  colorMode(mode: ColorMode): void;
}

/** The lil-gui panel; `show` rebuilds its folder for a newly loaded scene. */
export class Panel {
  readonly gui: GUI;
  /** The demos' folder (demos.ts adds its buttons and live controls there). */
  readonly demos: GUI;
  private folder: GUI | null = null;
  private readonly readout = { fps: '', stepTime: '' };
  private readonly colour: { mode: ColorMode } = { mode: 'group' };
  /** Scenes built from the registry, and those derived from them by the panel: their name and resolution. */
  private readonly built = new WeakMap<Scene, { name: string; resolution: number }>();
  private current: Scene | null = null;
  /** Whether `current` is a replay's scene, shown with its parameters fixed. */
  private replay = false;
  private frames = 0;
  private since = performance.now();

  constructor(container: HTMLElement | undefined, private readonly hooks: PanelHooks, private readonly limits?: SceneLimits) {
    this.gui = new GUI({ container, title: 'Parameters', width: 300 });
    this.gui.add({ step: () => hooks.step() }, 'step').name('step once');
    // the browser's animation frames, drawn or not (the status line counts the draws)
    this.gui.add(this.readout, 'fps').name('animation frames/s').disable().listen();
    this.gui.add(this.readout, 'stepTime').name('step time').disable().listen();
    this.demos = this.gui.addFolder('Demos');
    const tick = () => { this.frames++; requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  }

  /** Updates the readouts from the viewer's steps/s (called a few times a second). */
  updateStats(stepsPerSecond: number): void {
    const now = performance.now();
    const dt = (now - this.since) / 1000;
    if (dt > 0.2) {
      this.readout.fps = (this.frames / dt).toFixed(1);
      this.frames = 0;
      this.since = now;
    }
    this.readout.stepTime = stepsPerSecond > 0 ? `${(1000 / stepsPerSecond).toFixed(3)} ms` : '—';
  }

  /** Marks `scene` as registered scene `name` built at its default resolution (it gets a resolution field). */
  fromRegistry(scene: Scene, name: string): Scene {
    const spec = sceneResolution(name);
    if (spec) this.built.set(scene, { name, resolution: spec.default });
    return scene;
  }

  /**
   * Shows the parameters of `scene`, the one now running, and the colour modes its view can show
   * (the mode shown becomes `mode`).
   */
  show(scene: Scene, modes: ColorMode[], mode: ColorMode, o: { replay?: boolean } = {}): void {
    this.folder?.destroy();
    this.current = scene;
    this.replay = o.replay ?? false;
    const f = (this.folder = this.gui.addFolder(this.replay ? `${scene.name} (replay: fixed)` : scene.name));
    this.colour.mode = mode;
    const cm = f.add(this.colour, 'mode', modes).name('colour');
    cm.domElement.dataset.param = 'colour';
    cm.onChange((m: ColorMode) => this.hooks.colorMode(m));
    const built = this.built.get(scene);
    const spec = built && sceneResolution(built.name);
    const fields: { key: string; label: string; get(s: Scene): number }[] = [];
    if (built && spec) fields.push({ key: 'resolution', label: `resolution: ${spec.label}`, get: (s) => this.built.get(s)?.resolution ?? spec.default });
    fields.push(...sceneParams(scene));
    for (const p of fields) {
      const box = { value: p.get(scene) };
      const c = f.add(box, 'value').name(p.label);
      c.domElement.dataset.param = p.key;
      if (this.replay) { c.disable(); continue; }
      c.onFinishChange((v: number) => {
        void this.set(p.key, Number(v)).then((err) => {
          if (err === null || !this.current) return;
          // the running scene stays; the field shows the value that is running
          box.value = p.get(this.current);
          c.updateDisplay();
        });
      });
    }
  }

  /** The colour mode shown (after a change made elsewhere). */
  setColorMode(mode: ColorMode): void {
    this.colour.mode = mode;
    this.folder?.controllersRecursive().find((c) => c.domElement.dataset.param === 'colour')?.updateDisplay();
  }

  /**
   * Sets parameter `key` ('resolution' or a sceneParams key) of the running scene as its field does:
   * resolves to the error shown, or null once the changed scene is loaded.
   */
  async set(key: string, value: number): Promise<string | null> {
    const from = this.current;
    if (!from) return 'no scene is loaded';
    if (this.replay) {
      const text = `a replay is shown: its scene's parameters are what the run used (choose a scene in the list to run one live)`;
      this.hooks.error(text);
      return text;
    }
    const built = this.built.get(from);
    let next: Scene;
    try {
      if (key === 'resolution') {
        if (!built) throw new Error(`scene ${from.name} has no resolution to set (only registered scenes whose builder takes one)`);
        next = withResolution(built.name, value, from, this.limits);
      } else {
        next = withParam(from, key, value, this.limits);
      }
    } catch (e) {
      const label = sceneParams(from).find((p) => p.key === key)?.label ?? key;
      const text = `${label} = ${value} was refused: ${e instanceof Error ? e.message : String(e)}`;
      this.hooks.error(text);
      return text;
    }
    if (built) this.built.set(next, { ...built, resolution: key === 'resolution' ? value : built.resolution });
    try {
      await this.hooks.apply(next);
    } catch (e) {
      const text = e instanceof Error ? e.message : String(e);
      this.hooks.error(text);
      return text;
    }
    this.hooks.error(null);
    return null;
  }
}
