import * as tf from './tf.ts'
// Registers the 'wasm' backend with tfjs; its .wasm binaries load from this package's dist/
// folder through the file system, so choosing it never touches the network.
import '@tensorflow/tfjs-backend-wasm'
import { BACKEND_NAMES, BackendUnavailableError } from './backend-choice.ts'
import type { BackendChoice, BackendName } from './backend-choice.ts'

// tfjs-node is an optional dependency (its install needs the internet); a variable specifier keeps
// TypeScript from requiring it to be installed.
const TFJS_NODE_MODULE: string = '@tensorflow/tfjs-node'

/**
 * Make tfjs run on the chosen backend in this thread (tfjs keeps one global engine per thread).
 * `auto` tries `tensorflow` (native, only if `@tensorflow/tfjs-node` is installed), then `wasm`,
 * then `cpu`. Calling it again with the backend already in use is cheap.
 * @returns the backend now in use.
 * @throws BackendUnavailableError when a backend named explicitly cannot be initialised.
 */
export async function useBackend (choice: BackendChoice = 'auto'): Promise<BackendName> {
  const candidates = choice === 'auto' ? BACKEND_NAMES : [choice]
  const failures: string[] = []
  for (const name of candidates) {
    try {
      await activate(name)
      return name
    } catch (err) {
      if (choice !== 'auto') throw new BackendUnavailableError(name, messageOf(err), { cause: err })
      failures.push(`${name}: ${messageOf(err)}`)
    }
  }
  // cpu is pure JavaScript and always registers, so this only happens if tfjs itself is broken.
  throw new Error(`no tfjs backend could be initialised (${failures.join('; ')})`)
}

/** The backend tfjs currently runs on in this thread, or undefined before {@link useBackend}. */
export function currentBackend (): BackendName | undefined {
  const name = tf.getBackend() as string | undefined
  return (BACKEND_NAMES as readonly string[]).includes(name ?? '') ? name as BackendName : undefined
}

async function activate (name: BackendName): Promise<void> {
  if (tf.getBackend() === name) return
  if (name === 'tensorflow' && tf.findBackendFactory('tensorflow') === null) {
    // Importing tfjs-node registers the 'tensorflow' backend with the shared tfjs engine.
    await import(TFJS_NODE_MODULE)
  }
  if (tf.findBackendFactory(name) === null) throw new Error('not registered with tfjs')
  const restore = keepProcessHandlers()
  try {
    const ok = await tf.setBackend(name)
    if (!ok) throw new Error('tfjs could not initialise it')
    await tf.ready()
  } finally {
    restore()
  }
}

// tfjs-backend-wasm's Emscripten glue adds process-wide 'uncaughtException' and
// 'unhandledRejection' listeners that rethrow, which would override the host's own handling
// (graceful shutdown, logging). Remove whatever listeners backend initialisation added.
const PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection'] as const

function keepProcessHandlers (): () => void {
  const emitter: NodeJS.EventEmitter = process
  const before = PROCESS_EVENTS.map(event => new Set(emitter.listeners(event)))
  return () => {
    PROCESS_EVENTS.forEach((event, i) => {
      for (const listener of emitter.listeners(event)) {
        if (before[i]?.has(listener) !== true) emitter.off(event, listener as (...args: unknown[]) => void)
      }
    })
  }
}

function messageOf (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
