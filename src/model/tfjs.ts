// The half of the model layer that loads tfjs: the backend, the model's forward and backward
// pass, training and evaluation, DP-SGD, and a trainer in the calling thread. The trainer worker
// (train-worker.ts) uses it; so do simulations, benchmarks and tests. No room of src/ imports it:
// the daemon's main thread stays without tfjs (test/unit/architecture.test.ts checks it).
export { currentBackend, useBackend } from './backend.ts'
export { EVALUATION_CHUNK, TrainingCore } from './training-core.ts'
export { clippedGradientSum, privatisedGradient } from './dp-sgd.ts'
export type { ClippedGradientSum, DpSgdStepOptions } from './dp-sgd.ts'
export { InProcessTrainer } from './in-process-trainer.ts'
export { SimulationSgd } from './simulation-sgd.ts'
