// The page's controls (index.html): typed handles on its elements, the scene list, and the
// messages shown to the user. No simulation logic here: callbacks go to the viewer.
import type { ColorMode } from './scene-view';

export interface ControlHandlers {
  scene(name: string): void;
  playPause(): void;
  reset(): void;
  stepsPerFrame(n: number): void;
  colorMode(mode: ColorMode): void;
  /** One or more files chosen or dropped together (a scene, or a replay's files). */
  file(files: File[]): void;
  /** The replay slider moved to frame k. */
  frame(k: number): void;
}

export const MAX_STEPS_PER_FRAME = 500;
/** Prefix of the scene list's values for scenes opened from files. */
export const FILE_SCENE = 'file:';
/** Prefix of the scene list's values for demos whose scene is not a registered one (choosing it starts the demo). */
export const DEMO_SCENE = 'demo:';

function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`index.html: #${id} is missing or not a ${type.name}`);
  return el;
}

export class Controls {
  readonly canvas = byId('view', HTMLCanvasElement);
  readonly sceneSelect = byId('scene', HTMLSelectElement);
  readonly playButton = byId('play', HTMLButtonElement);
  readonly resetButton = byId('reset', HTMLButtonElement);
  readonly spfInput = byId('spf', HTMLInputElement);
  readonly colorSelect = byId('color', HTMLSelectElement);
  readonly fileInput = byId('file', HTMLInputElement);
  readonly frameLabel = byId('frame-label', HTMLElement);
  readonly frameInput = byId('frame', HTMLInputElement);
  readonly frameText = byId('frame-text', HTMLElement);
  readonly status = byId('status', HTMLElement);
  readonly error = byId('error', HTMLElement);

  /** Fills the scene list; with `projected`, 3D scenes are marked as drawn in projection (the flat-disc view). */
  setScenes(scenes: { name: string; description: string; dim: number }[], selected: string, projected = false): void {
    this.sceneSelect.replaceChildren(...scenes.map((s) => {
      const o = new Option(projected && s.dim === 3 ? `${s.name} (x-y projection)` : s.name, s.name, false, s.name === selected);
      o.title = s.description;
      return o;
    }));
  }

  /** The colour modes of the scene shown, `mode` selected. */
  setColorModes(modes: ColorMode[], mode: ColorMode): void {
    this.colorSelect.replaceChildren(...modes.map((m) => new Option(m, m, false, m === mode)));
  }

  /** Adds (or reuses) the list entry of a scene opened from a file and selects it. */
  selectFileScene(name: string): void {
    this.selectEntry(FILE_SCENE + name, `${name} (file)`);
  }

  /** Adds (or reuses) the list entry of demo `demo`, whose scene is `scene`, and selects it. */
  selectDemoScene(demo: string, scene: string): void {
    this.selectEntry(DEMO_SCENE + demo, `${scene} (demo)`);
  }

  private selectEntry(value: string, label: string): void {
    if (!Array.from(this.sceneSelect.options).some((x) => x.value === value)) this.sceneSelect.add(new Option(label, value));
    this.sceneSelect.value = value;
  }

  wire(h: ControlHandlers): void {
    this.sceneSelect.addEventListener('change', () => h.scene(this.sceneSelect.value));
    this.playButton.addEventListener('click', () => h.playPause());
    this.resetButton.addEventListener('click', () => h.reset());
    this.spfInput.addEventListener('change', () => {
      const n = Math.round(Number(this.spfInput.value));
      const ok = Number.isFinite(n) ? Math.min(MAX_STEPS_PER_FRAME, Math.max(1, n)) : 1;
      this.spfInput.value = String(ok);
      h.stepsPerFrame(ok);
    });
    this.colorSelect.addEventListener('change', () => h.colorMode(this.colorSelect.value as ColorMode));
    this.fileInput.addEventListener('change', () => {
      const f = Array.from(this.fileInput.files ?? []);
      // Cleared so that choosing the same file again fires another change.
      this.fileInput.value = '';
      if (f.length) h.file(f);
    });
    // Files dropped anywhere on the page open like chosen ones.
    document.addEventListener('dragover', (e) => e.preventDefault());
    document.addEventListener('drop', (e) => {
      e.preventDefault();
      const f = Array.from(e.dataTransfer?.files ?? []);
      if (f.length) h.file(f);
    });
    this.frameInput.addEventListener('input', () => h.frame(Number(this.frameInput.value)));
  }

  /** The replay slider: shown at `frame` of `frames`, or hidden (null) for a live simulation. */
  setFrame(f: { frame: number; frames: number } | null): void {
    this.frameLabel.hidden = f === null;
    if (!f) return;
    this.frameInput.max = String(f.frames - 1);
    if (document.activeElement !== this.frameInput) this.frameInput.value = String(f.frame);
    this.frameText.textContent = `${f.frame + 1}/${f.frames}`;
  }

  setPlaying(playing: boolean): void {
    this.playButton.textContent = playing ? 'Pause' : 'Play';
  }

  /** Disables the controls that need a simulation (no adapter, or while a scene loads). */
  setEnabled(on: boolean): void {
    for (const el of [this.sceneSelect, this.playButton, this.resetButton, this.spfInput, this.colorSelect, this.fileInput]) el.disabled = !on;
  }

  setStatus(text: string): void {
    this.status.textContent = text;
  }

  /** Shows a message for the user in the page; null hides it. */
  showError(text: string | null): void {
    this.error.textContent = text ?? '';
    this.error.hidden = text === null;
  }
}
