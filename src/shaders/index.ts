// The only module that imports .wgsl files (Vite `?raw`), so the CLI, tests and browser share them.
import reduceWgsl from './util/reduce.wgsl?raw';

export const utilShaders = { reduce: reduceWgsl };
