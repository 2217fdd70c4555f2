// The page's demos. 'walker': spring-walker-demo-2d with its trained controller weights
// (scenes/data/spring-walker-demo-2d.json), whose commanded speed a slider sets live (a write of the
// controller's goal buffer); a walker that reaches the right edge is carried back to the left, which
// the controller cannot see (its inputs are its velocity, a clock and the command). 'mpc':
// robot-chase-mpc-2d's walker chases a goal the user drags along the ground, re-planned as it runs by
// the same planner as `torsion mpc` (src/opt/mpc.ts, MpcPlanner), in the page: the world plays on
// while a plan is made from its state, and each plan's actuation rows are written ahead of the
// steps that use them.
import type { GpuContext } from '../gpu/device';
import type { Simulator } from '../core/simulator';
import { positionField } from '../core/simulator';
import { ControlledSim } from '../control/controlled-sim';
import { ParameterVector } from '../opt/parameters';
import { centreOfMass, MpcPlanner } from '../opt/mpc';
import { buildScene } from '../../scenes/index';
import { build as buildWalkerDemo, PERIOD_STEPS, TRAIN_SPEEDS } from '../../scenes/spring-walker-demo-2d';

// Optional at build time: without the trained file the page builds and the demo says what to run.
const weightFiles = import.meta.glob<{ scene?: string; weights?: number[] }>('../../scenes/data/spring-walker-demo-2d.json', { eager: true, import: 'default' });
const WEIGHTS_FILE = 'scenes/data/spring-walker-demo-2d.json';

/** The trained walker weights (any size when `size` is omitted), or an error that says how to make them. */
export function walkerWeights(size?: number): Float64Array {
  const data = Object.values(weightFiles)[0];
  const make = 'make it with `npx vite-node scripts/train-walker-demo.ts` (CPU, tens of minutes) and rebuild the page';
  if (!data) throw new Error(`the walker demo has no trained controller: ${WEIGHTS_FILE} is missing; ${make}`);
  if (data.scene !== 'spring-walker-demo-2d' || !Array.isArray(data.weights)) throw new Error(`the walker demo has no trained controller: ${WEIGHTS_FILE} is a stand-in, not trained weights; ${make}`);
  if (size !== undefined && data.weights.length !== size) throw new Error(`${WEIGHTS_FILE} has ${data.weights.length} weights, the demo's controller ${size}: retrain it (${make})`);
  return Float64Array.from(data.weights);
}
import { validateScene } from '../mpm/validate';
import type { Scene } from '../simulators';
import type { SpringScene } from '../springs/scene';
import type { Controls } from './controls';
import type { Interaction } from './interact';
import type { Panel } from './panel';
import type { Viewer } from './viewer';
import type { Controller } from 'lil-gui';

export const DEMOS = ['walker', 'mpc'] as const;
export type DemoName = (typeof DEMOS)[number];

export interface DemoHost {
  viewer: Viewer;
  gpu: GpuContext;
  ui: Controls;
  panel: Panel;
  interaction: Interaction;
  /** main.ts's loader (the page's controls disabled meanwhile). */
  load(scene: Scene): Promise<void>;
  urlChanged(): void;
}

/** What the browser tests drive (window.torsion.demo). */
export interface DemoApi {
  /** Starts a demo; `goal`: the MPC demo's first goal (before its first plan). */
  start(name: string, o?: { goal?: number[] }): Promise<void>;
  stop(): void;
  /** The walker's commanded speed (m/s). */
  setCommand(speed: number): void;
  /** The MPC goal (domain units; its axes not chased are ignored). */
  setGoal(goal: number[]): void;
  state(): DemoState;
}

export interface DemoState {
  active: string;
  /** walker: the command, and the speed measured over the last half second of simulated time. */
  command?: number;
  measuredSpeed?: number | null;
  /** Times the walker was carried back to the left. */
  wraps?: number;
  /** mpc: the goal, the plans made, the distance of the centre of mass from the goal when last planned. */
  goal?: number[];
  replans?: number;
  distance?: number | null;
}

/** Walker: carried back when its centre passes this fraction of the view's width, by this fraction. */
const WRAP_AT = 0.85;
const WRAP_BY = 0.6;
/** Walker: the speed is measured over this many steps. */
const MEASURE_STEPS = 500;

interface Demo {
  readonly name: DemoName;
  readonly scene: Scene;
  /** After any load of its scene (an edit, a grab's swap): set on the new simulator what the demo set. */
  reapply(): Promise<void>;
  beforeSteps(sim: Simulator, step: number, count: number): void;
  tick(): void;
  state(): DemoState;
  stop(): void;
}

export class Demos {
  private demo: Demo | null = null;
  private readonly controls: Controller[] = [];
  private readonly launch = { walker: () => this.startSafe('walker'), mpc: () => this.startSafe('mpc') };

  constructor(private readonly h: DemoHost) {
    h.panel.demos.add(this.launch, 'walker').name('Walker: commanded speed');
    h.panel.demos.add(this.launch, 'mpc').name('MPC: chase a goal');
  }

  get active(): DemoName | null { return this.demo?.name ?? null; }

  private startSafe(name: DemoName): void {
    this.start(name).catch((e) => this.h.ui.showError(`The ${name} demo did not start: ${e instanceof Error ? e.message : String(e)}`));
  }

  async start(name: string, o: { goal?: number[] } = {}): Promise<void> {
    if (!(DEMOS as readonly string[]).includes(name)) throw new Error(`no demo ${JSON.stringify(name)}: the demos are ${DEMOS.join(', ')}`);
    this.stop();
    const demo = name === 'walker' ? new WalkerDemo(this.h, this.addControl) : new MpcDemo(this.h, this.addControl);
    this.demo = demo;
    if (o.goal && demo instanceof MpcDemo) demo.setGoal(o.goal);
    try {
      await this.h.load(demo.scene);
      await demo.reapply();
    } catch (e) {
      this.stop();
      throw e;
    }
    this.h.viewer.setPlaying(true);
    this.h.urlChanged();
  }

  private readonly addControl = (c: Controller) => { this.controls.push(c); };

  stop(): void {
    const d = this.demo;
    if (!d) return;
    this.demo = null;
    d.stop();
    for (const c of this.controls.splice(0)) c.destroy();
    this.h.urlChanged();
  }

  /** A scene was loaded from the list or a file: a demo on another scene ends. */
  sceneChanged(scene: Scene): void {
    if (this.demo && scene !== this.demo.scene) this.stop();
  }

  async reapply(): Promise<void> { await this.demo?.reapply(); }

  beforeSteps(sim: Simulator, step: number, count: number): void { this.demo?.beforeSteps(sim, step, count); }

  tick(): void { this.demo?.tick(); }

  api(): DemoApi {
    return {
      start: (name, o) => this.start(name, o),
      stop: () => this.stop(),
      setCommand: (speed) => { if (this.demo instanceof WalkerDemo) this.demo.setCommand(speed); else throw new Error('the walker demo is not running'); },
      setGoal: (goal) => { if (this.demo instanceof MpcDemo) this.demo.setGoal(goal); else throw new Error('the mpc demo is not running'); },
      state: () => this.demo?.state() ?? { active: '' },
    };
  }
}

/** The mean x of the items in a state [items][stride] (copy 0), weighted by `w`. */
function comX(state: Float32Array, sim: Simulator): number {
  const { weights } = sim.selection();
  const { stride } = sim.state, off = positionField(sim.state).offset;
  let x = 0, m = 0;
  for (let i = 0; i < weights.length; i++) { x += weights[i] * state[i * stride + off]; m += weights[i]; }
  return x / m;
}

class WalkerDemo implements Demo {
  readonly name = 'walker' as const;
  readonly scene: SpringScene;
  // the middle of the trained range (the speeds it holds: heldSpeeds in its file)
  private readonly values = { speed: TRAIN_SPEEDS[Math.floor(TRAIN_SPEEDS.length / 2)], measured: '-' };
  private busy = false;
  private last: { step: number; x: number } | null = null;
  private measured: number | null = null;
  private wraps = 0;
  private stopped = false;

  constructor(private readonly h: DemoHost, add: (c: Controller) => void) {
    walkerWeights(); // refuses before anything loads when the trained file is missing
    this.scene = validateScene(buildWalkerDemo());
    const f = h.panel.demos;
    const lo = Math.min(...TRAIN_SPEEDS), hi = Math.max(...TRAIN_SPEEDS);
    add(f.add(this.values, 'speed', lo, hi, 0.01).name('commanded speed (m/s)').onChange((v: number) => this.setCommand(v)));
    add(f.add(this.values, 'measured').name('measured speed (m/s)').disable().listen());
  }

  private get sim(): ControlledSim | null {
    const s = this.h.viewer.sim;
    return s instanceof ControlledSim ? s : null;
  }

  async reapply(): Promise<void> {
    const sim = this.sim;
    if (!sim) throw new Error('the walker demo needs a controller scene');
    const pv = new ParameterVector(sim, ['controller']);
    sim.writeParams(pv.inputs(walkerWeights(pv.size)).ctrl);
    sim.setGoals([[this.values.speed]]);
    this.h.viewer.setStepWrap(PERIOD_STEPS);
    this.last = null;
  }

  setCommand(speed: number): void {
    this.values.speed = speed;
    this.sim?.setGoals([[speed]]);
  }

  beforeSteps(): void {}

  // Twice a second: the speed over the last MEASURE_STEPS steps, and the carry back at the edge.
  tick(): void {
    const v = this.h.viewer;
    if (this.busy || this.stopped || !v.playing || !this.sim) return;
    this.busy = true;
    void this.measure().finally(() => { this.busy = false; });
  }

  private async measure(): Promise<void> {
    const v = this.h.viewer, sim = this.sim!;
    const step = v.step;
    const x = comX(await v.readState(), sim);
    if (this.last === null || step < this.last.step) this.last = { step, x };
    else if (step - this.last.step >= MEASURE_STEPS) {
      this.measured = (x - this.last.x) / ((step - this.last.step) * this.scene.dt);
      this.values.measured = this.measured.toFixed(3);
      this.last = { step, x };
    }
    const width = this.scene.extent[0];
    if (this.stopped) return;
    if (x > WRAP_AT * width) await this.carryBack(WRAP_BY * width);
    else if (x < (1 - WRAP_AT) * width) await this.carryBack(-WRAP_BY * width); // walking backwards
  }

  // Pauses, moves every vertex left by `by` (right if negative), and plays on: the controller does not see positions.
  private async carryBack(by: number): Promise<void> {
    const v = this.h.viewer, sim = this.sim!;
    const playing = v.playing;
    v.setPlaying(false);
    await v.advance(0);
    const s = await v.readState();
    const { stride, items } = sim.state, off = positionField(sim.state).offset;
    for (let i = 0; i < items; i++) s[i * stride + off] -= by;
    v.writeState(s);
    this.wraps++;
    this.last = null;
    v.setPlaying(playing);
  }

  state(): DemoState {
    return { active: this.name, command: this.values.speed, measuredSpeed: this.measured, wraps: this.wraps };
  }

  stop(): void {
    this.stopped = true;
    this.h.viewer.setStepWrap(0);
  }
}

class MpcDemo implements Demo {
  readonly name = 'mpc' as const;
  readonly scene: SpringScene;
  private planner: MpcPlanner | null = null;
  private plan: { t0: number; rows: Float64Array } | null = null;
  private goal: number[];
  private replans = 0;
  private distance: number | null = null;
  private stopped = false;
  private running = false;
  private readonly marker: HTMLElement;
  private readonly values = { replans: 0, distance: '-' };
  private readonly onPointer: (e: PointerEvent) => void;
  /** Steps of each plan the world runs before the next plan starts from its state: the CLI's `every`. */
  private readonly lead: number;
  /** The goal moved since the last plan began: the next one gets a cold start's iterations. */
  private goalMoved = false;

  constructor(private readonly h: DemoHost, add: (c: Controller) => void) {
    const base = buildScene('robot-chase-mpc-2d') as SpringScene;
    // the world runs long: its actuation rows cover STEPS steps, written ahead from the plans
    this.scene = validateScene({ ...base, steps: MPC_STEPS, actuation: { channels: base.actuation!.channels, values: new Array<number>(MPC_STEPS * base.actuation!.channels).fill(0) } });
    const mpc = this.scene.mpc!;
    this.goal = goalStart(mpc.goal);
    this.lead = Math.min(mpc.horizon, mpc.every);
    add(h.panel.demos.add(this.values, 'replans').name('plans made').disable().listen());
    add(h.panel.demos.add(this.values, 'distance').name('distance to goal').disable().listen());
    // the pointer moves the goal instead of grabbing
    h.interaction.enabled = false;
    this.onPointer = (e) => {
      if (e.type === 'pointerdown' || e.buttons & 1) this.setGoal(h.interaction.toDomain(e.clientX, e.clientY));
    };
    h.ui.canvas.addEventListener('pointerdown', this.onPointer);
    h.ui.canvas.addEventListener('pointermove', this.onPointer);
    this.marker = document.createElement('div');
    this.marker.id = 'mpc-goal';
    this.marker.title = 'the goal: click or drag on the canvas to move it';
    Object.assign(this.marker.style, { position: 'absolute', width: '12px', height: '12px', marginLeft: '-6px', marginTop: '-6px', borderRadius: '50%',
      border: '2px solid #ffd166', pointerEvents: 'none' });
    document.body.append(this.marker);
  }

  setGoal(goal: number[]): void {
    this.goalMoved = true;
    const axes = this.scene.mpc!.axes ?? [0, 1];
    this.goal = this.goal.map((g, i) => (axes.includes(i) && goal[i] !== undefined ? goal[i] : g));
  }

  async reapply(): Promise<void> {
    this.plan = null;
    if (!this.planner) this.planner = await MpcPlanner.create(this.h.gpu, this.scene, this.scene.mpc!);
    // as `torsion mpc` does: the world runs `lead` steps of each plan, then waits for the next one
    // (none before the first), so the plans and the walk do not depend on how fast the GPU plans
    this.h.viewer.stepBudget = (step) => (this.plan ? this.plan.t0 + this.lead - step : 0);
    if (!this.running) void this.loop();
  }

  // Plan from the world's state, hand the plan over, repeat while the demo runs.
  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (!this.stopped) {
        const v = this.h.viewer, world = v.sim;
        if (!v.playing || !world || !this.planner) { await sleep(100); continue; }
        // the world reaches the end of the last plan's steps before the next plan starts from there
        if (this.plan && v.step < this.plan.t0 + this.lead) { await sleep(10); continue; }
        const t0 = v.step;
        if (this.plan) this.planner.shift(t0 - this.plan.t0); // warm start, as runMpc does
        const state = await v.readState();
        const com = centreOfMass(world, state);
        const axes = this.planner.axes;
        this.distance = Math.hypot(...axes.map((i) => com[i] - this.goal[i]));
        const fresh = this.goalMoved && this.replans > 0;
        this.goalMoved = false;
        await this.planner.plan(state, t0, this.goal, fresh);
        if (this.stopped) break;
        this.plan = { t0, rows: this.planner.actuation() };
        this.replans++;
        this.values.replans = this.replans;
        this.values.distance = this.distance.toFixed(3);
      }
    } catch (e) {
      if (!this.stopped) this.h.ui.showError(`MPC stopped: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.running = false;
    }
  }

  // The plan's row for each step about to run (rows past the plan wrap by its period: it is a gait).
  beforeSteps(sim: Simulator, step: number, count: number): void {
    const p = this.plan;
    if (!p || sim !== this.h.viewer.sim) return;
    const block = sim.params.blocks.find((b) => b.kind === 'actuation');
    if (!block) return;
    const A = block.rowLength, H = p.rows.length / A, period = this.scene.mpc!.period ?? H;
    const rows = block.indices.length / A;
    const v = sim.params.values(0);
    for (let j = 0; j < count; j++) {
      let k = step + j - p.t0;
      if (k >= H) k = H - period + ((k - H) % period);
      for (let c = 0; c < A; c++) v[block.indices[Math.min(step + j, rows - 1) * A + c]] = p.rows[Math.max(0, k) * A + c];
    }
    const rec = sim.paramValues.slice();
    sim.params.pack(rec, 0, v);
    sim.writeParams(rec);
  }

  tick(): void {
    const [x, y] = this.h.interaction.toClient(this.goal);
    this.marker.style.left = `${x + scrollX}px`;
    this.marker.style.top = `${y + scrollY}px`;
  }

  state(): DemoState {
    return { active: this.name, goal: this.goal.slice(), replans: this.replans, distance: this.distance };
  }

  stop(): void {
    this.stopped = true;
    this.h.viewer.stepBudget = null;
    this.h.interaction.enabled = true;
    this.h.ui.canvas.removeEventListener('pointerdown', this.onPointer);
    this.h.ui.canvas.removeEventListener('pointermove', this.onPointer);
    this.marker.remove();
    const p = this.planner;
    this.planner = null;
    // after the plan in progress, if any
    void (async () => { while (this.running) await sleep(50); p?.destroy(); })();
  }
}

/** The MPC demo world's actuation rows (steps): 20 s at dt 1e-3. */
const MPC_STEPS = 20000;

function goalStart(goal: number[][]): number[] {
  return goal[0].slice(1);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
