// The spring and shell scene format (SpringScene in scene.ts) as a valibot schema, built from the
// blocks of src/mpm/schema.ts, so its messages read like an MPM scene's. Types, ranges and array
// lengths are checked here; the rules that relate fields (vertex indices in range, degenerate or
// non-manifold triangles, grippers, self-contact thickness) live in validate.ts.
import type * as v from 'valibot';
import type { SpringScene } from './scene';
import { MAX_COLLIDERS } from '../mpm/layout';
import {
  arrayOf, bendRadians, bool, colliderSchema, dimSchema, f32, int, lossSchema, nonNegative, object, oneOf, opt, optimizeSchema, mpcSchema, perAxis, positive,
  str, track, periodicSchema, MAX_CHANNELS, MAX_DESCRIPTION, MAX_NAME, MAX_STEPS, type AllFields, type Length, type Same,
} from '../mpm/schema';
import { controllerSchema } from '../control/schema';

/** The scene kinds SpringSim runs. */
export const SPRING_KINDS = ['springs', 'shell'] as const;
export const MAX_MATERIALS = 256;
export const MAX_GRIPPERS = 64;

/**
 * What array lengths depend on, known to validateSpringScene before the check: dim, the vertex
 * count n (vertices.mass.length), the spring count (springs.pairs.length / 2) and the triangle
 * count (triangles.indices.length / 3). Absent: the published schema, any dim and any count.
 */
export interface SpringSchemaContext {
  dim?: 2 | 3;
  n?: number;
  springs?: number;
  triangles?: number;
}

const exactly = (count: number | undefined, k: number, why: string): Length => (count === undefined ? {} : { exactly: k * count, why });

function materialSchema() {
  return object({
    name: str(MAX_NAME),
    stiffness: positive,
    damping: nonNegative,
    mu: opt(nonNegative),
    lambda: opt(nonNegative),
    bending: opt(nonNegative),
    plastic: opt(object({ yieldAngle: bendRadians })),
  });
}

function verticesSchema(c: SpringSchemaContext) {
  const perVertex = c.dim === undefined ? undefined : c.n;
  const why = 'dim x vertex count (vertices.mass.length)';
  return object({
    x: arrayOf(f32, exactly(perVertex, c.dim ?? 0, why)),
    v: arrayOf(f32, exactly(perVertex, c.dim ?? 0, why)),
    mass: arrayOf(positive, { min: 1 }),
  });
}

function springsSchema(c: SpringSchemaContext) {
  const why = 'one per spring (springs.pairs.length / 2)';
  return object({
    pairs: arrayOf(int(0)),
    restLength: opt(arrayOf(positive, exactly(c.springs, 1, why))),
    material: arrayOf(int(0), exactly(c.springs, 1, why)),
    actuator: opt(arrayOf(int(-1), exactly(c.springs, 1, why))),
    actuationStrength: opt(f32),
  });
}

function trianglesSchema(c: SpringSchemaContext) {
  return object({
    indices: arrayOf(int(0)),
    material: arrayOf(int(0), exactly(c.triangles, 1, 'one per triangle (triangles.indices.length / 3)')),
  });
}

/** A spring or shell scene (SpringScene in scene.ts). */
export function springSceneSchema(c: SpringSchemaContext = {}) {
  return object({
    kind: oneOf(SPRING_KINDS),
    name: str(MAX_NAME),
    description: opt(str(MAX_DESCRIPTION)),
    dim: dimSchema,
    dt: positive,
    steps: int(1, MAX_STEPS),
    gravity: arrayOf(f32, perAxis(c)),
    damping: opt(nonNegative),
    extent: arrayOf(positive, perAxis(c)),
    materials: arrayOf(materialSchema(), { min: 1, max: MAX_MATERIALS }),
    vertices: verticesSchema(c),
    springs: opt(springsSchema(c)),
    triangles: opt(trianglesSchema(c)),
    pinned: opt(arrayOf(int(0))),
    grippers: opt(arrayOf(object({
      name: str(MAX_NAME),
      vertices: arrayOf(int(0), { min: 1 }),
      position: track(perAxis(c)),
      origin: opt(arrayOf(f32, perAxis(c))),
    }), { max: MAX_GRIPPERS })),
    ground: opt(object({ height: f32, friction: nonNegative, softness: nonNegative })),
    colliders: opt(arrayOf(colliderSchema(c), { max: MAX_COLLIDERS })),
    selfContact: opt(object({ thickness: positive, stiffness: positive, triangles: opt(bool) })),
    actuation: opt(object({
      channels: int(1, MAX_CHANNELS),
      values: opt(arrayOf(f32, { min: 1, max: MAX_CHANNELS * MAX_STEPS })),
      periodic: opt(periodicSchema()),
    })),
    colliderSoftness: opt(nonNegative),
    loss: opt(lossSchema(c)),
    optimize: opt(optimizeSchema()),
    mpc: opt(mpcSchema()),
    controller: opt(controllerSchema()),
    $schema: opt(str(MAX_DESCRIPTION)),
  });
}

// The schema and the SpringScene type describe the same data (as for MpmScene in mpm/schema.ts).
type SchemaScene = v.InferOutput<ReturnType<typeof springSceneSchema>>;
const inStep: Same<AllFields<SchemaScene>, AllFields<SpringScene>> & Same<SchemaScene, SpringScene> = true;
void inStep;
