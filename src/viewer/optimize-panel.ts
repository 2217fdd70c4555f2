// The page's Optimize panel: gradient iterations on the scene being shown, with the CLI's own
// optimization code (src/opt/session.ts, loop.ts), a live plot of the loss and the gradient norm
// (uPlot), and the best point's trajectory replayed in the view as it improves. Stop ends the run
// after the iteration in flight and leaves the best trajectory playing.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { GpuContext } from '../gpu/device';
import { OptimizeSession } from '../opt/session';
import { optimizeParams } from '../mpm/scene';
import { withSortEvery, type Scene } from '../simulators';
import { exportSceneJson } from '../mpm/validate';
import type { Viewer } from './viewer';

export interface OptimizeResult {
  iterations: number;
  losses: number[];
  gradientNorms: (number | null)[];
  bestLoss: number;
  stopped: boolean;
  error: string | null;
}

/**
 * What a person at the page can do about exploding gradients: the page runs a scene's own task
 * settings (as `torsion optimize` does without options), and a scene file can change them.
 */
const PAGE_ADVICE = 'The page runs the scene\'s own optimize settings. To clip or normalize the gradient, shorten the horizon '
  + 'or sample instead, open the scene as a file with optimize.clip, optimize.normalize or optimize.optimizer ("cem", "spsa") set, '
  + 'or a smaller steps; the best point so far keeps playing.';

function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`index.html: #${id} is missing or not a ${type.name}`);
  return el;
}

export class OptimizePanel {
  private readonly button = byId('optimize', HTMLButtonElement);
  private readonly stopButton = byId('optimize-stop', HTMLButtonElement);
  private readonly saveButton = byId('optimize-save', HTMLButtonElement);
  private readonly itersInput = byId('optimize-iters', HTMLInputElement);
  private readonly text = byId('optimize-status', HTMLElement);
  private readonly plotBox = byId('optimize-plot', HTMLElement);
  private plot: uPlot | null = null;
  private stopRequested = false;
  private running: Promise<OptimizeResult> | null = null;
  /** The scene the status line and the plot describe (null: they are empty). */
  private shownFor: Scene | null = null;
  /** The scene of the best point's replay last shown (its tracks are the point's). */
  private bestShown: Scene | null = null;

  constructor(private readonly gpu: GpuContext, private readonly viewer: Viewer, private readonly showError: (m: string | null) => void,
    private readonly changed: () => void) {
    this.button.addEventListener('click', () => { void this.run(Number(this.itersInput.value)).catch(() => undefined); });
    this.stopButton.addEventListener('click', () => this.stop());
    this.saveButton.addEventListener('click', () => this.save());
  }

  /** Downloads the best point's scene (tunedScene), a scene file like any other. */
  private save(): void {
    const best = this.bestShown;
    if (!best) return;
    const url = URL.createObjectURL(new Blob([exportSceneJson(best)], { type: 'application/json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `${best.name.replace(/[^A-Za-z0-9._-]+/g, '-')}-best.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }

  get busy(): boolean { return this.running !== null; }

  /** Enables Optimize for a scene with a task (a loss), and says why not otherwise. */
  sceneChanged(scene: Scene | null): void {
    const task = !!scene?.loss;
    this.button.disabled = !task || this.busy;
    this.button.title = task ? `minimise ${scene!.name}'s loss over ${optimizeParams(scene!.optimize).join(', ')}` : 'this scene has no optimization task (no loss)';
    if (this.busy) return;
    this.itersInput.value = String(scene?.optimize?.iterations ?? 30);
    // another scene, or this one edited: the last run's loss and plot would read as the new scene's
    if (scene !== this.shownFor) this.clearResult();
  }

  /** Empties the status line and hides the plot. */
  private clearResult(): void {
    this.text.textContent = '';
    this.plot?.destroy();
    this.plot = null;
    this.plotBox.hidden = true;
    this.shownFor = null;
    this.saveButton.disabled = true;
  }

  stop(): void {
    this.stopRequested = true;
  }

  /** Runs up to `iterations` iterations on the viewer's scene (its first `steps` steps if given); one run at a time. */
  run(iterations: number, steps?: number): Promise<OptimizeResult> {
    if (this.running) return Promise.reject(new Error('an optimization is running already: stop it first'));
    const scene = this.viewer.scene;
    if (!scene?.loss) return Promise.reject(new Error('this scene has no optimization task (no loss)'));
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > 10_000) {
      const m = `iterations = ${iterations}: allowed an integer in [1, 10000]`;
      this.showError(m);
      return Promise.reject(new RangeError(m));
    }
    this.running = this.loop(scene, iterations, steps).finally(() => {
      this.running = null;
      this.button.disabled = false;
      this.stopButton.disabled = true;
      // a scene chosen or edited during the run (which stopped it) is not the one the numbers are about
      const shown = this.viewer.scene;
      if (shown !== scene && shown !== this.bestShown) this.sceneChanged(shown);
      this.changed();
    });
    return this.running;
  }

  private async loop(scene: Scene, iterations: number, steps: number | undefined): Promise<OptimizeResult> {
    this.stopRequested = false;
    this.button.disabled = true;
    this.stopButton.disabled = false;
    this.showError(null);
    const result: OptimizeResult = { iterations: 0, losses: [], gradientNorms: [], bestLoss: Infinity, stopped: false, error: null };
    this.shownFor = scene;
    this.bestShown = null;
    this.saveButton.disabled = true;
    this.text.textContent = `starting: ${scene.name} (${scene.optimize?.optimizer ?? 'adam'} over ${optimizeParams(scene.optimize).join(', ')})`;
    let session: OptimizeSession | null = null;
    try {
      // the page does not sort particles (docs/design.md, "Particle order"): a scene's sortEvery is ignored
      session = await OptimizeSession.create(this.gpu, withSortEvery(scene, 0), { iterations, ...(steps !== undefined ? { steps } : {}) });
      const s = session;
      this.resetPlot();
      let shownBest = Infinity;
      for (let k = 0; k < iterations && !this.stopRequested; k++) {
        const rec = await s.step();
        result.iterations = rec.iteration;
        result.losses.push(rec.loss);
        result.gradientNorms.push(rec.gradientNorm);
        result.bestLoss = rec.bestLoss;
        this.addPoint(rec.iteration, rec.loss, rec.gradientNorm);
        const metric = rec.report === null ? '' : ` · metric ${rec.report.toPrecision(4)}`;
        this.text.textContent = `iteration ${rec.iteration}/${iterations} · loss ${rec.loss.toExponential(3)} · best ${rec.bestLoss.toExponential(3)}`
          + ` · |grad| ${rec.gradientNorm === null ? '-' : rec.gradientNorm.toExponential(2)}${metric} · ${rec.seconds.toFixed(1)} s`
          + (s.config.threshold !== null && rec.bestLoss <= s.config.threshold ? ' · solved' : '');
        if (rec.warning) this.showError(`warning: ${rec.warning}${rec.cliAdvice ? `. ${rec.pageAdvice ?? PAGE_ADVICE}` : ''}`);
        if (rec.bestLoss < shownBest) {
          shownBest = rec.bestLoss;
          await this.showBest(s, scene);
        }
      }
      result.stopped = this.stopRequested;
      if (result.stopped) this.text.textContent += ' · stopped';
    } catch (e) {
      result.error = e instanceof Error ? e.message : String(e);
      this.showError(`Optimization stopped: ${result.error}`);
      // a run that failed before its first iteration no longer says it is starting
      if (result.iterations === 0) this.text.textContent = `${scene.name}: did not start (see the message above)`;
      if (session && session.loop.best.iteration >= 0) await this.showBest(session, scene).catch(() => undefined);
    } finally {
      session?.destroy();
    }
    return result;
  }

  /**
   * The best point's trajectory, playing in the view in place of the live simulation, on the scene
   * with that point's collider and gripper tracks (the bodies are drawn from their tracks).
   */
  private async showBest(s: OptimizeSession, scene: Scene): Promise<void> {
    const ours = () => this.viewer.scene === scene || (this.viewer.scene !== null && this.viewer.scene === this.bestShown);
    if (!ours()) return; // the user moved on to another scene
    const t = await s.bestTrajectory(60);
    const replay = { scene: scene.name, ...t };
    if (!ours()) return;
    const frame = this.viewer.replayFrame?.frame ?? 0;
    const best = s.bestScene();
    await this.viewer.loadReplay(best, replay);
    if (this.viewer.scene !== best) return; // a later load won
    this.bestShown = best;
    this.saveButton.disabled = false;
    this.viewer.showFrame(frame);
    this.viewer.setPlaying(true);
    this.changed();
  }

  private resetPlot(): void {
    this.plot?.destroy();
    this.plot = null;
    this.plotBox.hidden = false;
  }

  private addPoint(it: number, loss: number, grad: number | null): void {
    if (!this.plot) {
      // Log scales where the values allow it: losses span decades as they fall.
      const logLoss = loss > 0;
      this.plot = new uPlot({
        width: Math.min(640, this.plotBox.clientWidth || 640), height: 180,
        scales: { x: { time: false }, loss: { distr: logLoss ? 3 : 1 }, grad: { distr: 3 } },
        series: [
          { label: 'iteration' },
          { label: 'loss', scale: 'loss', stroke: '#4d99ff', width: 2 },
          { label: '|grad|', scale: 'grad', stroke: '#ffb14d', width: 1, dash: [4, 3] },
        ],
        axes: [
          { stroke: '#c8cad0', grid: { stroke: '#2a2d34' } },
          { scale: 'loss', stroke: '#4d99ff', grid: { stroke: '#2a2d34' }, size: 70, values: (_u, vals) => vals.map(expLabel) },
          // exponent form: long decimals of a gradient that grew by decades did not fit the axis
          { scale: 'grad', side: 1, stroke: '#ffb14d', grid: { show: false }, size: 60, values: (_u, vals) => vals.map(expLabel) },
        ],
      }, [[], [], []], this.plotBox);
    }
    const [xs, ls, gs] = this.plot.data as unknown as number[][];
    const d: (number | null)[][] = [[...xs, it], [...ls, Number.isFinite(loss) ? loss : null], [...gs, grad !== null && grad > 0 ? grad : null]];
    this.plot.setData(d as uPlot.AlignedData);
  }
}

/** An axis label short enough for the plot's margin at any magnitude: 0.25, 1.5e-3, 1e+9. */
function expLabel(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '';
  const a = Math.abs(v);
  return a === 0 || (a >= 1e-2 && a < 1e4) ? String(Number(v.toPrecision(3))) : Number(v.toPrecision(2)).toExponential().replace('.0e', 'e');
}
