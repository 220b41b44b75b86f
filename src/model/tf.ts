import { createRequire } from 'node:module'
import type * as Tfjs from '@tensorflow/tfjs'
// First, for its effect: the tfjs packages meshtrain never uses become empty modules (tfjs-trim.ts).
import './tfjs-trim.ts'

const require = createRequire(import.meta.url)

/**
 * TensorFlow.js as the model room uses it, with its wasm backend registered (the backend's .wasm
 * binaries load from its package's dist/ folder through the file system, so choosing it never
 * touches the network). Both ship CommonJS only, and require() loads them in about a third of the
 * CPU an ES import takes: an import makes Node scan their bundles for export names first.
 */
export const tf = require('@tensorflow/tfjs') as typeof Tfjs
require('@tensorflow/tfjs-backend-wasm')
