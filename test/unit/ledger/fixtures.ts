import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EntryBody, EntryKind } from '../../../src/ledger/index.ts'

export { testKey } from '../protocol/fixtures.ts'

const PEER = '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'
const h = (c: string): string => c.repeat(64)

/** A well-formed body of every entry kind. */
export const SAMPLE_BODIES: { readonly [K in EntryKind]: EntryBody<K> } = {
  manifest: { manifestHash: h('a'), networkId: 'b'.repeat(32) },
  data: { commitment: h('c'), examples: 6000, features: 784, classes: 10 },
  training: {
    round: 3, startModel: h('1'), data: h('c'), steps: 20, batchSize: 32, learningRate: 0.2, seed: 123456,
    loss: 0.4375, backend: 'cpu', model: h('2')
  },
  announcement: { round: 3, model: h('2'), signature: 'c2lnbmF0dXJl', checkpointSize: 12 },
  'peer-input': {
    round: 3, peer: PEER, signature: 'c2ln', model: h('3'), checkpoint: `12:${h('d')}:1700000000000:c2ln`,
    verdict: 'accept', used: true, distance: 1.5, cosine: 0.75
  },
  aggregate: { round: 3, rule: 'median', options: { f: 1, nnm: true }, inputs: [h('2'), h('3')], output: h('4'), ms: 12.5 },
  evaluation: { round: 3, model: h('4'), accuracy: 0.9, loss: null, examples: 1000 },
  evidence: { round: 3, peer: PEER, reason: 'equivocation', first: '{"a":1}', second: '{"a":2}' }
}

/** A fresh temporary directory, removed by the returned function. */
export async function tempDir (): Promise<{ dir: string, remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'meshtrain-ledger-'))
  return { dir, remove: async () => { await rm(dir, { recursive: true, force: true }) } }
}
