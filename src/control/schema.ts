// The scene's `controller` field (ControllerSpec in controller.ts) as a valibot schema, from the
// blocks of src/mpm/schema.ts, for both scene kinds with actuation. The rules that relate it to
// other fields (actuation channels to drive, a goal when 'goal' is an input) are controller.ts's
// validateController.
import * as v from 'valibot';
import { arrayOf, f32, int, object, oneOf, opt, positive } from '../mpm/schema';
import { CONTROLLER_INPUTS, type ControllerSpec } from './controller';

export const MAX_CONTROLLER_WIDTH = 256;
/** More than the largest controller holds (1,024 hidden units of at most 256 a layer). */
const MAX_CONTROLLER_WEIGHTS = 1 << 20;

export function controllerSchema() {
  const goalRow = arrayOf(f32, { min: 1, max: 16 });
  return object({
    hidden: opt(arrayOf(int(1, MAX_CONTROLLER_WIDTH), { min: 1, max: 8 })),
    inputs: opt(arrayOf(oneOf(CONTROLLER_INPUTS), { min: 1, max: CONTROLLER_INPUTS.length })),
    periods: opt(arrayOf(positive, { min: 1, max: 8 })),
    goal: opt(v.union([goalRow, arrayOf(goalRow, { min: 1, max: 4096 })], 'a goal vector, or one per copy')),
    scale: opt(positive),
    seed: opt(int(0, 2 ** 32 - 1)),
    weights: opt(arrayOf(f32, { min: 1, max: MAX_CONTROLLER_WEIGHTS })),
  });
}

type SchemaSpec = v.InferOutput<ReturnType<typeof controllerSchema>>;
const inStep: [SchemaSpec] extends [ControllerSpec] ? ([ControllerSpec] extends [SchemaSpec] ? true : false) : false = true;
void inStep;
