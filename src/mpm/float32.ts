// The float32 limits every number of a scene meets on the GPU: each is stored as a float32, and
// the kernels multiply them (src/mpm/float-ranges.ts derives what the products need).

/** Largest finite float32, (2 - 2^-23) 2^127: beyond it a value is stored as Infinity. */
export const F32_MAX = 3.4028234663852886e38;
/** Smallest normal float32, 2^-126: GPUs may flush smaller (subnormal) values to 0. */
export const F32_MIN_NORMAL = 2 ** -126;
