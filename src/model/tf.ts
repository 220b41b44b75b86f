// tfjs as the model room uses it: `import * as tf from './tf.ts'` in place of the package, so that
// tfjs-trim.ts runs before tfjs loads, wherever the thread imports it first.
import './tfjs-trim.ts'
export * from '@tensorflow/tfjs'
