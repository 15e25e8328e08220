// Experiment statistics: the public surface of src/measure/experiments.
export * from './arms.js';
export * from './proportions.js';
export * from './means.js';
export * from './relative-lift.js';
export * from './bayesian.js';
export * from './sequential.js';
export * from './srm.js';
export * from './power.js';
export * from './decide-winner.js';
export * from './ab-report.js';
export * from './auto-winner.js';
