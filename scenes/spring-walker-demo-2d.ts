// The page's walker demo (src/viewer/demos.ts): spring-walker-2d's walker driven by an MLP that reads
// only the phase of a 0.256 s clock and the commanded speed: a periodic gait that the command
// shapes, blind to where the walker is and how fast it goes. So the page can carry a walker that
// reached the edge back across the view and it walks on unchanged, and a clock of 256 steps, so past
// the step table the viewer's steps wrap by a whole number of periods (SimRunner.wrap). Its trained
// weights are scenes/data/spring-walker-demo-2d.json (scripts/train-walker-demo.ts: the speed over
// one clock period from states carried on from rollout to rollout, so what it learns is the speed
// the walker holds, not the one it starts with). An earlier controller that also read its velocity,
// trained on the mean speed from rest over 0.8 s, held other speeds than those it learned to start
// at (it walked backwards at the slow commands).
import type { SpringScene } from '../src/springs/scene';
import { build as buildWalker } from './spring-walker-2d';

export const description = 'the 2D spring walker with an MLP controller of a clock and a commanded speed (0 to 0.08 m/s), for the page\'s walker demo';

/** The commanded speeds it is trained on (m/s along +x); the page's slider spans them. 0: stand. */
export const TRAIN_SPEEDS = [0, 0.02, 0.04, 0.06, 0.08];
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
    controller: { ...s.controller!, inputs: ['phase', 'goal'], periods: [PERIOD_STEPS * s.dt], goal: TRAIN_SPEEDS.map((v) => [v]) },
  };
}
