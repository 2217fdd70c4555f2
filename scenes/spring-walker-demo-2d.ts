// The page's walker demo (src/viewer/demos.ts): spring-walker-2d's walker and task with a controller
// blind to where the walker is (inputs: its velocity, the phase of a 0.256 s clock, the commanded
// speed), so the page can carry a walker that reached the edge back across the view and it walks on
// unchanged, and a clock of 256 steps, so past the step table the viewer's steps wrap by a whole
// number of periods (SimRunner.wrap). Its trained weights are scenes/data/spring-walker-demo-2d.json
// (scripts/train-walker-demo.ts: stages of growing horizon, each warm-started from the last).
import type { SpringScene } from '../src/springs/scene';
import { build as buildWalker } from './spring-walker-2d';

export const description = 'the 2D spring walker with an MLP controller blind to its position (velocity, clock, commanded speed), for the page\'s walker demo';

/** The commanded speeds it is trained on (m/s along +x), one batch copy each; the page's slider spans them. */
export const TRAIN_SPEEDS = [0.05, 0.1, 0.15, 0.2];
/** Velocity damping (1/s): more than spring-walker-2d's 1, for a steadier gait over long runs. */
const DAMPING = 5;

/** The clock period in steps (dt 1e-3): the viewer wraps steps past its table by it. */
export const PERIOD_STEPS = 256;

export function build(steps = 800): SpringScene {
  const s = buildWalker();
  const A = s.actuation!.channels;
  return {
    ...s, name: 'spring-walker-demo-2d', description, steps, damping: DAMPING,
    actuation: { channels: A, values: new Array<number>(steps * A).fill(0) },
    controller: { ...s.controller!, inputs: ['velocity', 'phase', 'goal'], periods: [PERIOD_STEPS * s.dt], goal: TRAIN_SPEEDS.map((v) => [v]) },
  };
}
