// Dawn (the `webgpu` package) crashes Node 20 at random (SIGSEGV, futex errors) while V8's top
// optimizing tier is on; capping it at tier 2 stops that (see shared notes: 0/4 crashing vitest runs
// with this, 3/4 without). vitest.config.ts also passes --max-opt=2 to the forked workers; this
// setup file keeps the guarantee if a worker is started some other way.
import v8 from 'node:v8';

v8.setFlagsFromString('--max-opt=2');
