import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { startModuleWorker, strippedModuleGraph } from '../../../src/model/module-worker.ts'
import type { TrainerOptions } from '../../../src/model/index.ts'
import { DEFAULT_MANIFEST } from '../../../src/protocol/index.ts'

const TRAIN_WORKER = new URL('../../../src/model/train-worker.ts', import.meta.url)
const PROBE = new URL('./fixtures/trainer-worker-probe.ts', import.meta.url)

describe('model/module-worker', () => {
  it('strips the types of every module of the trainer worker\'s graph, and only those', () => {
    const sources = strippedModuleGraph(TRAIN_WORKER)
    const names = Object.keys(sources).map(url => url.slice(url.indexOf('/src/') + 1)).sort()
    for (const name of ['src/model/train-worker.ts', 'src/model/tf.ts', 'src/model/tfjs-trim.ts', 'src/model/training-core.ts', 'src/model/module-worker.ts', 'src/errors/index.ts']) {
      assert.ok(names.includes(name), name)
    }
    assert.ok(!names.includes('src/model/model-trainer.ts'), 'the main thread\'s side is not in the worker\'s graph')
    const core = sources[new URL('../../../src/model/training-core.ts', import.meta.url).href] as string
    assert.doesNotMatch(core, /import type/)
    assert.equal(core.split('\n').length, readFileSync(new URL('../../../src/model/training-core.ts', import.meta.url), 'utf8').split('\n').length, 'lines kept where they were')
  })

  it('gives nothing to strip for a JavaScript entry (the packed build)', () => {
    assert.deepEqual(strippedModuleGraph(new URL('../../../bin/meshtrain.js', import.meta.url)), {})
  })

  it('runs the trainer\'s worker without a TypeScript stripper in its thread', async () => {
    const options: TrainerOptions = { model: DEFAULT_MANIFEST.model, training: DEFAULT_MANIFEST.training, data: { kind: 'mnist' }, shard: { index: 1, count: 4 }, seed: 3 }
    const worker = startModuleWorker(PROBE, { data: options, name: 'module-worker-test' })
    try {
      // One listener from the start: both messages may arrive in one turn of the event loop.
      const messages: unknown[] = []
      const both = new Promise<void>((resolve, reject) => {
        worker.on('message', message => { if (messages.push(message) === 2) resolve() })
        worker.once('error', reject)
      })
      await both
      const [hello, probe] = messages as [{ kind: string, shardSize: unknown }, { stripperLoaded: boolean }]
      assert.equal(hello.kind, 'ready')
      assert.deepEqual(hello.shardSize, { train: 1800, holdout: 200 }, 'the worker got its data')
      assert.equal(probe.stripperLoaded, false)
    } finally {
      await worker.terminate()
    }
  })
})
