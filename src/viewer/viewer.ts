// The frame loop: each animation frame encodes `stepsPerFrame` steps and what the view needs from the
// state (the draw kernels of three-view.ts, or the flat-disc render pass) into a single command buffer,
// submits it, and lets the view draw. Particles never leave the GPU; the only read-back is the
// blow-up flag (a few bytes), every CHECK_EVERY stepping frames. At most MAX_IN_FLIGHT frames are queued, so a
// slow GPU slows the loop instead of piling up work, and steps/s counts finished steps.
import type { GpuContext } from '../gpu/device';
import type { Scene } from '../simulators';
import type { Simulator } from '../core/simulator';
import { PipelineCache } from '../gpu/pipeline-cache';
import { PointsRenderer } from './points-renderer';
import { colorModes, type ColorMode, type SceneView } from './scene-view';
import { SimRunner, type BlowUp } from './sim-runner';
import { replayState, type Replay } from './replay';

const CHECK_EVERY = 30;
const MAX_IN_FLIGHT = 2;
/** Steps per submission when a caller asks for many at once. */
const STEP_CHUNK = 100;
/**
 * Most of the wall time drawing may take while playing. Where one draw costs more than this share of
 * the time between draws (70k spheres on a CPU rasterizer), frames step without drawing until a
 * draw is due, so drawing never slows the simulation by more than this.
 */
const DRAW_SHARE = 0.08;

export interface ViewerEvents {
  blowUp(b: BlowUp): void;
  /** Uncaptured WebGPU errors or a lost device, for the page. */
  gpuErrors(messages: string[]): void;
  playing(on: boolean): void;
}

/** Which view draws: three.js on our device (falls back to 'points' if it cannot start), or flat discs. */
export type ViewKind = 'three' | 'points';

export class Viewer {
  private runner: SimRunner | null = null;
  private generation = 0;
  private inFlight = 0;
  private framesSinceCheck = 0;
  private checking = false;
  private dirty = true;
  private raf = 0;
  private _playing = false;
  stepsPerFrame = 10;
  /** Off: frames step the simulation without drawing it (to measure what drawing costs; ?draw=off). */
  drawing = true;
  blowUp: BlowUp | null = null;
  // steps/s over the last measuring window
  private rateSteps = 0;
  private rateStart = performance.now();
  stepsPerSecond = 0;
  /** Frames drawn per second over the same window. */
  framesPerSecond = 0;
  private rateFrames = 0;
  // Seconds the GPU spends on one step and on one draw (running means), and when the last draw was submitted.
  private stepCost = 0;
  private drawCost = 0;
  private lastDrawAt = 0;
  private lastDoneAt = 0;
  /** The colour modes the view can show for the loaded scene (the flat-disc view: group and speed only). */
  colorModes: ColorMode[] = ['group'];
  /** Steps past the runner's step table wrap by this many (SimRunner.wrap): a controller's clock period, or 0. */
  private stepWrap = 0;
  /** Called before each submission's steps are encoded, with the simulator and the steps it will take (interact.ts and demos.ts write user-driven rows here). */
  beforeSteps: ((sim: Simulator, step: number, count: number) => void) | null = null;
  /** While playing, the most steps a frame may take from `step` (the MPC demo holds the world within reach of its last plan); none: stepsPerFrame. */
  stepBudget: ((step: number) => number) | null = null;
  /** A CLI replay being shown instead of a live simulation (loadReplay), and its frame. */
  private replay: { r: Replay; frame: number } | null = null;

  private constructor(readonly gpu: GpuContext, readonly view: SceneView, private readonly cache: PipelineCache,
    private readonly events: ViewerEvents, readonly fallbackReason: string | null) {}

  /**
   * A viewer drawing on `canvas` with the `kind` of view. three.js is loaded on demand; where it
   * fails to start, the flat-disc view draws instead and `fallbackReason` says why.
   */
  static async create(gpu: GpuContext, canvas: HTMLCanvasElement, events: ViewerEvents, kind: ViewKind = 'three'): Promise<Viewer> {
    const cache = new PipelineCache(gpu.device);
    let reason: string | null = null;
    if (kind === 'three') {
      try {
        const { ThreeView } = await import('./three-view');
        return new Viewer(gpu, await ThreeView.create(gpu.device, canvas, cache), cache, events, null);
      } catch (e) {
        reason = e instanceof Error ? e.message : String(e);
        console.warn(`[torsion] three.js view did not start, drawing flat discs instead: ${reason}`);
      }
    }
    return new Viewer(gpu, new PointsRenderer(gpu.device, canvas), cache, events, reason);
  }

  get scene(): Scene | null { return this.runner?.scene ?? null; }
  get step(): number { return this.runner?.step ?? 0; }
  get particles(): number { return this.runner?.particles ?? 0; }
  get playing(): boolean { return this._playing; }
  /** The running simulator (null before a scene loads). */
  get sim(): Simulator | null { return this.runner?.sim ?? null; }

  /**
   * Replaces the simulation with `scene` (already validated), at step 0; with `carry`, it goes on
   * from the current state and step instead (the same state layout: e.g. the scene with a collider
   * or gripper added).
   */
  async load(scene: Scene, o: { carry?: boolean; accept?: (sim: Simulator) => void } = {}): Promise<void> {
    const gen = ++this.generation;
    const runner = await SimRunner.create(this.gpu, scene, this.cache);
    if (gen !== this.generation) { runner.destroy(); return; } // a later load won
    // refused (it throws): the simulation shown goes on, as if this load had not been asked for
    try { o.accept?.(runner.sim); } catch (e) { runner.destroy(); throw e; }
    this.replay = null;
    if (o.carry && this.runner) runner.adopt(this.runner);
    runner.wrap = this.stepWrap;
    this.runner?.destroy();
    this.runner = runner;
    const src = runner.source();
    this.view.setSource(src);
    this.colorModes = colorModes(src).filter((m) => this.view.name === 'three' || m === 'group' || m === 'speed');
    if (!this.colorModes.includes(this.view.colorMode)) this.view.colorMode = 'group';
    this.resetCounters();
  }

  /**
   * Shows `replay` (positions a CLI run wrote) on `scene`'s simulator instead of stepping it: play
   * moves one frame per animation frame and loops; reset goes back to frame 0.
   */
  async loadReplay(scene: Scene, replay: Replay): Promise<void> {
    // a scene that does not fit the replay throws before it replaces the simulation shown
    await this.load(scene, { accept: (sim) => replayState(replay, 0, sim.state0, sim.state) });
    if (!this.runner || this.runner.scene !== scene) return; // a later load won
    this.replay = { r: replay, frame: 0 };
    // a replay holds positions only: an MPM scene's F stays its initial one, so strain would show
    // none; spring and shell strain comes from the positions and stays
    if ('particles' in scene) {
      this.colorModes = this.colorModes.filter((m) => m !== 'strain');
      if (this.view.colorMode === 'strain') this.view.colorMode = 'group';
    }
    this.showFrame(0);
  }

  /** The replay's frame shown and its frame count, or null for a live simulation. */
  get replayFrame(): { frame: number; frames: number } | null {
    return this.replay ? { frame: this.replay.frame, frames: this.replay.r.frames } : null;
  }

  /** Shows frame `k` of the replay (clamped to its frames). */
  showFrame(k: number): void {
    const rp = this.replay, runner = this.runner;
    if (!rp || !runner) return;
    rp.frame = Math.min(Math.max(0, Math.floor(k)), rp.r.frames - 1);
    runner.showState(replayState(rp.r, rp.frame, runner.sim.state0, runner.sim.state), rp.frame * rp.r.stepsPerFrame);
    this.dirty = true;
  }

  reset(): void {
    if (!this.runner) return;
    if (this.replay) { this.showFrame(0); return; }
    this.generation++;
    this.runner.reset();
    this.resetCounters();
  }

  private resetCounters(): void {
    this.blowUp = null;
    this.framesSinceCheck = 0;
    this.rateSteps = 0;
    this.rateStart = performance.now();
    this.stepsPerSecond = 0;
    this.dirty = true;
  }

  setPlaying(on: boolean): void {
    if (on === this._playing) return;
    this._playing = on;
    this.rateSteps = 0;
    this.rateFrames = 0;
    this.rateStart = performance.now();
    // paused: draw the state reached, which a throttled draw while playing may not have shown
    if (!on) { this.stepsPerSecond = 0; this.framesPerSecond = 0; this.dirty = true; }
    this.events.playing(on);
  }

  /** Colours by `mode`, or by group where the scene shown does not offer it (colorModes). */
  setColorMode(mode: ColorMode): void {
    this.view.colorMode = this.colorModes.includes(mode) ? mode : 'group';
    this.dirty = true;
  }

  start(): void {
    const frame = () => {
      this.raf = requestAnimationFrame(frame);
      this.frame();
    };
    this.raf = requestAnimationFrame(frame);
  }

  private frame(): void {
    const runner = this.runner;
    if (!runner) return;
    const resized = this.view.fitCanvas();
    const moved = this.view.takeChanged();
    const rp = this.replay;
    if (rp && this._playing && this.inFlight < MAX_IN_FLIGHT) this.showFrame(rp.frame + 1 < rp.r.frames ? rp.frame + 1 : 0);
    const steps = this.stepBudget ? Math.max(0, Math.min(this.stepsPerFrame, Math.floor(this.stepBudget(runner.step)))) : this.stepsPerFrame;
    const stepping = !rp && this._playing && this.inFlight < MAX_IN_FLIGHT && steps > 0;
    if (!stepping && !this.dirty && !resized && !moved) return;
    if (!this.drawing && !stepping) return;
    const now = performance.now();
    const due = (now - this.lastDrawAt) / 1000 >= (this.drawCost * (1 - DRAW_SHARE)) / DRAW_SHARE;
    // The first stepping frame does not draw, so a step's cost is known before a draw's is judged.
    const draw = this.drawing && (!stepping || (due && this.stepCost > 0) || this.dirty || resized || moved);
    if (draw) this.lastDrawAt = now;
    this.submit(runner, stepping ? steps : 0, draw);
    if (stepping && ++this.framesSinceCheck >= CHECK_EVERY && !this.checking) {
      this.framesSinceCheck = 0;
      this.checking = true;
      void this.check().finally(() => { this.checking = false; });
    }
  }

  // One command buffer: `steps` steps, then (if `draw`) the view's work on the resulting state; the
  // view then draws (three.js submits its own command buffer, after ours in queue order).
  private submit(runner: SimRunner, steps: number, draw = true): Promise<undefined> {
    if (steps > 0) this.beforeSteps?.(runner.sim, runner.step, steps);
    const enc = this.gpu.device.createCommandEncoder({ label: 'viewer.frame' });
    runner.encodeSteps(enc, steps);
    if (draw) this.view.encode(enc, runner.current, runner.step);
    this.gpu.device.queue.submit([enc.finish()]);
    if (draw) {
      this.view.present();
      this.dirty = false;
      this.rateFrames++;
    }
    const submitted = performance.now();
    this.inFlight++;
    const gen = this.generation;
    return this.gpu.device.queue.onSubmittedWorkDone().then(() => {
      this.inFlight--;
      if (gen === this.generation) this.countSteps(steps);
      this.measure(submitted, steps, draw);
      return undefined;
    });
  }

  /**
   * The GPU time of a submission: from when the GPU could start it (its submit, or the end of the
   * one before) to its end. Step-only submissions give the cost of a step; drawing ones, less their
   * steps, the cost of a draw.
   */
  private measure(submitted: number, steps: number, draw: boolean): void {
    const now = performance.now();
    const busy = (now - Math.max(submitted, this.lastDoneAt)) / 1000;
    this.lastDoneAt = now;
    const mean = (old: number, x: number) => (old === 0 ? x : 0.5 * old + 0.5 * x);
    if (!draw && steps > 0) this.stepCost = mean(this.stepCost, busy / steps);
    else if (draw && (steps === 0 || this.stepCost > 0)) this.drawCost = mean(this.drawCost, Math.max(0, busy - steps * this.stepCost));
  }

  private countSteps(steps: number): void {
    this.rateSteps += steps;
    const now = performance.now();
    const dt = (now - this.rateStart) / 1000;
    if (dt >= 0.5) {
      this.stepsPerSecond = this.rateSteps / dt;
      this.framesPerSecond = this.rateFrames / dt;
      this.rateSteps = 0;
      this.rateFrames = 0;
      this.rateStart = now;
    }
  }


  /** Advances `n` steps (paused or not), draws the result and waits for the GPU and the blow-up check. */
  async advance(n: number): Promise<void> {
    const runner = this.runner;
    if (!runner) throw new Error('no scene is loaded');
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`advance: n = ${n} must be a whole number >= 0`);
    // A replay has no simulation to step: n steps of it are n frames.
    if (this.replay) { this.showFrame(this.replay.frame + n); await this.submit(runner, 0); return; }
    let left = n;
    for (; left > STEP_CHUNK; left -= STEP_CHUNK) void this.submit(runner, STEP_CHUNK, false);
    await this.submit(runner, left);
    await this.check();
  }

  /** Reads the blow-up flag and any uncaptured GPU errors; a blow-up stops playback. */
  async check(): Promise<void> {
    const runner = this.runner;
    if (!runner) return;
    const gen = this.generation;
    const b = await runner.checkBlowUp();
    if (this.gpu.errors.length) this.events.gpuErrors(this.gpu.errors.splice(0));
    if (!b || gen !== this.generation || this.blowUp) return;
    this.blowUp = b;
    this.setPlaying(false);
    this.events.blowUp(b);
  }

  setStepWrap(n: number): void {
    this.stepWrap = n;
    if (this.runner) this.runner.wrap = n;
  }

  /** The whole current state (a read-back), for demos that move a body. Pause first: steps in flight would be lost. */
  async readState(): Promise<Float32Array> {
    if (!this.runner) throw new Error('no scene is loaded');
    return this.runner.readState();
  }

  /** Replaces the current state (queued: the next submission starts from it). */
  writeState(data: Float32Array): void {
    if (!this.runner) throw new Error('no scene is loaded');
    this.runner.writeState(data);
    this.dirty = true;
  }

  async readPositions(): Promise<Float32Array> {
    if (!this.runner) throw new Error('no scene is loaded');
    return this.runner.readPositions();
  }

  dispose(): void {
    cancelAnimationFrame(this.raf);
    this.generation++;
    this.runner?.destroy();
    this.runner = null;
    this.view.dispose();
  }
}
