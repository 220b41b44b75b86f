import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/** V8's full collection, exposed at run time (mocha runs without --expose-gc). */
function collectGarbage (): void {
  setFlagsFromString('--expose-gc')
  ;(runInNewContext('gc') as () => void)()
}

/** Let the current job end (WeakRef targets are kept until it does), then collect. */
export async function collectedAfterThisTurn (): Promise<void> {
  await new Promise(resolve => setImmediate(resolve))
  collectGarbage()
  await new Promise(resolve => setImmediate(resolve))
  collectGarbage()
}
