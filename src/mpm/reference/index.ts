// Float64 CPU reference of the MPM step: the oracle for forward tests and gradient checks.
export * from './small-matrix';
export * from './ref-model';
export * from './material';
export * from './contact';
export * from './step';
export * from '../../core/finite-diff';
