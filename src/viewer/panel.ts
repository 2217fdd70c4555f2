// The parameter panel (lil-gui): the current scene's physical parameters (gravity, damping, each MPM
// group's E and nu, each spring material's stiffness and damping), a single-step button and the
// frame-rate and step-time readouts. Editing a parameter builds a changed copy of the scene and sends
// it through validateScene before anything reaches the GPU: a bad value leaves the running scene as it
// was and the validation error is shown in the page.
import GUI from 'lil-gui';
import type { Scene } from '../simulators';
import { validateScene, type SceneLimits } from '../mpm/validate';

/** One editable number of a scene: read from and written into a plain-data scene. */
export interface SceneParam {
  /** Stable key (also the ?param= URL name): 'gravity', 'damping', 'E.0', 'nu.0', 'stiffness.0', 'springDamping.0'. */
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
    (s.materials as { name: string }[]).forEach((m, i) => {
      out.push({ key: `stiffness.${i}`, label: `${m.name}: stiffness`,
        get: (x) => mat(x, i).stiffness as number, set: (x, v) => { mat(x, i).stiffness = v; } });
      out.push({ key: `springDamping.${i}`, label: `${m.name}: spring damping`,
        get: (x) => mat(x, i).damping as number, set: (x, v) => { mat(x, i).damping = v; } });
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

export interface PanelHooks {
  /** Loads the changed scene; rejects with the validation error (shown by the caller). */
  apply(scene: Scene): Promise<void>;
  error(text: string | null): void;
  step(): void;
}

/** The lil-gui panel; `show` rebuilds its folder for a newly loaded scene. */
export class Panel {
  readonly gui: GUI;
  /** The demos' folder (demos.ts adds its buttons and live controls there). */
  readonly demos: GUI;
  private folder: GUI | null = null;
  private readonly readout = { fps: '', stepTime: '' };
  private frames = 0;
  private since = performance.now();

  constructor(container: HTMLElement | undefined, private readonly hooks: PanelHooks, private readonly limits?: SceneLimits) {
    this.gui = new GUI({ container, title: 'Parameters', width: 300 });
    this.gui.add({ step: () => hooks.step() }, 'step').name('step once');
    this.gui.add(this.readout, 'fps').name('frames/s').disable().listen();
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

  /** Shows the parameters of `scene`, the one now running. */
  show(scene: Scene): void {
    this.folder?.destroy();
    const f = (this.folder = this.gui.addFolder(scene.name));
    let current = scene;
    for (const p of sceneParams(scene)) {
      const box = { value: p.get(scene) };
      const c = f.add(box, 'value').name(p.label);
      c.domElement.dataset.param = p.key;
      c.onFinishChange((v: number) => {
        let next: Scene;
        try {
          next = withParam(current, p.key, Number(v), this.limits);
        } catch (e) {
          // the running scene stays; the field shows the value that is running
          this.hooks.error(`${p.label} = ${v} was refused: ${e instanceof Error ? e.message : String(e)}`);
          box.value = p.get(current);
          c.updateDisplay();
          return;
        }
        this.hooks.apply(next).then(() => { current = next; this.hooks.error(null); },
          (e) => this.hooks.error(e instanceof Error ? e.message : String(e)));
      });
    }
  }
}
