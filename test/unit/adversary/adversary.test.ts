import assert from 'node:assert/strict'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createAggregator } from '../../../src/aggregation/index.ts'
import { createRng } from '../../../src/model/index.ts'
import { ATTACK_NAMES, Adversary, OmniscientAttack, attackLabelMap, formatAttack, isOmniscient, parseAttack, usesOwnModel } from '../../../src/adversary/index.ts'
import { ConfigError } from '../../../src/errors/index.ts'
import { InProcessNetwork } from '../../../src/round/index.ts'
import { silentLogger } from '../../../src/round/index.ts'
import { PeerSample } from '../../../src/round/index.ts'
import { RoundLoop } from '../../../src/round/index.ts'
import type { LocalTrainer, RoundSummary } from '../../../src/round/index.ts'
import { DEFAULT_MANIFEST, networkId } from '../../../src/protocol/index.ts'
import type { NetworkManifest } from '../../../src/protocol/index.ts'

const median = createAggregator({ rule: 'median', f: 1 })
const m = (...values: number[]): Float32Array => Float32Array.from(values)
const peer = (peerId: string, ...values: number[]) => ({ peerId, weights: m(...values) })

/** A stand-in for SGD: each step moves the model halfway to 1. */
const halfwayToOne: LocalTrainer = {
  train: async weights => ({ weights: weights.map(w => w + (1 - w) / 2), loss: 0, sampleCount: 1 }),
  evaluateHoldout: async () => ({ accuracy: 0, loss: 0 })
}

describe('attack parsing', () => {
  it('reads NAME and NAME:k=v,k=v', () => {
    assert.deepEqual(parseAttack('sign-flip'), { name: 'sign-flip', params: {} })
    assert.deepEqual(parseAttack('alie:z=10'), { name: 'alie', params: { z: 10 } })
    assert.deepEqual(parseAttack('crash:round=20'), { name: 'crash', params: { round: 20 } })
  })

  it('formats a spec back into the text it parses from', () => {
    for (const text of ['sign-flip', 'alie:z=10', 'crash:round=20', 'dissensus:epsilon=1.5']) assert.equal(formatAttack(parseAttack(text)), text)
  })

  it('names the known attacks or parameters when one is unknown', () => {
    assert.throws(() => parseAttack('alie-ish'), (e: unknown) => e instanceof ConfigError && /known: crash, stale, sign-flip, gaussian, label-flip, alie, ipm, dissensus, alie-opt, ipm-opt/.test(e.message))
    assert.throws(() => parseAttack('alie:sigma=1'), /attack alie has no parameter "sigma"; known: z/)
    assert.throws(() => parseAttack('stale:x=1'), /it takes none/)
    assert.throws(() => parseAttack('ipm:epsilon=abc'), /expected a number/)
  })
})

describe('omniscient attack', () => {
  const honest = [peer('b', 1), peer('a', 2), peer('c', 3)]
  const omniscient = (text: string, byzantine: number): OmniscientAttack => {
    const attack = parseAttack(text)
    assert.ok(isOmniscient(attack))
    return new OmniscientAttack({ attack, byzantine }, { aggregator: median })
  }

  it('crafts from the honest models, and nothing without them', () => {
    const flip = omniscient('sign-flip', 2)
    assert.deepEqual(Array.from(flip.craft(honest) ?? []), [-2])
    assert.equal(flip.craft([]), undefined)
    // Dissensus targets the smallest peer id ('a', model 2): 2 - 1.5 * ((1-2) + (3-2)) / 2 = 2.
    assert.deepEqual(Array.from(omniscient('dissensus', 2).craft([peer('b', 1), peer('a', 2), peer('c', 4)]) ?? []), [2 - 1.5 * (-1 + 2) / 2])
    // IPM with epsilon 0.5: -0.5 * 2 = -1.
    assert.deepEqual(Array.from(omniscient('ipm:epsilon=0.5', 1).craft(honest) ?? []), [-1])
  })

  it('the attacks that do not use their own model craft the same model whatever it is; the others do not', () => {
    const rng = createRng(3)
    const honestModels = Array.from({ length: 5 }, (_, i) => ({ peerId: `p${i}`, weights: Float32Array.from({ length: 8 }, () => rng.normal()) }))
    const [ownA, ownB] = [0, 1].map(() => Float32Array.from({ length: 8 }, () => 4 * rng.normal())) as [Float32Array, Float32Array]
    const loss = (w: Float32Array): number => w.reduce((a, v, j) => a + v * (j % 3), 0)
    const craft = (name: string, own: Float32Array): number[] => {
      const attack = parseAttack(name)
      assert.ok(isOmniscient(attack))
      return Array.from(new OmniscientAttack({ attack, byzantine: 2, seed: 5 }, { aggregator: median, loss }).craft(honestModels, own) ?? [])
    }
    const independent = ATTACK_NAMES.filter(name => isOmniscient({ name, params: {} }) && !usesOwnModel({ name, params: {} }))
    assert.deepEqual(independent, ['sign-flip', 'gaussian', 'alie', 'ipm', 'dissensus', 'alie-opt', 'ipm-opt', 'mimic'])
    for (const name of independent) assert.deepEqual(craft(name, ownA), craft(name, ownB), name)
    for (const name of ['min-max', 'min-sum', 'undo-progress', 'own-loss', 'frame']) {
      assert.ok(usesOwnModel(parseAttack(name)))
      assert.notDeepEqual(craft(name, ownA), craft(name, ownB), name)
    }
    for (const name of ['crash', 'stale', 'label-flip']) assert.ok(usesOwnModel(parseAttack(name)), name)
  })

  it('only the attacks that read the honest models are omniscient', () => {
    assert.deepEqual(ATTACK_NAMES.filter(name => isOmniscient({ name, params: {} })), ['sign-flip', 'gaussian', 'alie', 'ipm', 'dissensus', 'alie-opt', 'ipm-opt', 'min-max', 'min-sum', 'mimic', 'undo-progress', 'own-loss', 'frame'])
  })
})

describe('attacker trainer', () => {
  const manifest: NetworkManifest = { ...DEFAULT_MANIFEST, training: { ...DEFAULT_MANIFEST.training, localSteps: 5, batchSize: 32 } }
  let trained = 0
  const counting: LocalTrainer = { train: async weights => { trained++; return halfwayToOne.train(weights) }, evaluateHoldout: halfwayToOne.evaluateHoldout }

  it('omniscient attackers announce their start model untrained, with loss 0 and an ordinary round\'s sample count', async () => {
    const adversary = new Adversary({ attack: parseAttack('sign-flip'), colluders: ['x'] }, { aggregator: median })
    assert.equal(adversary.omniscient, true)
    const start = m(3)
    const result = await adversary.wrapTrainer(counting, manifest).train(start)
    assert.equal(result.weights, start)
    assert.deepEqual([result.loss, result.sampleCount, trained], [0, 5 * 32, 0])
  })

  it('the other attacks train as given; label-flip through flipped labels', () => {
    const crash = new Adversary({ attack: parseAttack('crash'), colluders: ['x'] }, { aggregator: median })
    assert.equal(crash.wrapTrainer(counting, manifest), counting)
    assert.equal(crash.labelMap, 'identity')
    const labelFlip = new Adversary({ attack: parseAttack('label-flip'), colluders: ['x'] }, { aggregator: median })
    assert.equal(labelFlip.wrapTrainer(counting, manifest), counting)
    assert.equal(labelFlip.labelMap, 'flip')
    assert.equal(attackLabelMap(undefined), 'identity')
  })
})

describe('peer sample', () => {
  it('draws k of the known peers, the same for the same seed', () => {
    const known = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6']
    const admitted = (seed: number): string[] => { const s = new PeerSample(known, 3, createRng(seed)); return known.filter(p => s.admit(p)) }
    assert.equal(admitted(1).length, 3)
    assert.deepEqual(admitted(1), admitted(1))
    assert.equal(new PeerSample(known, 3, createRng(1)).admit('stranger'), false)
  })

  it('admits the first k announcers while it knows fewer than k peers', () => {
    const s = new PeerSample(['p1'], 2, createRng(1))
    assert.deepEqual(['p9', 'p8', 'p7', 'p9'].map(p => s.admit(p)), [true, true, false, true])
  })
})

async function swarm (manifest: NetworkManifest, honestCount: number, attack: string | undefined, rounds: number): Promise<{ summaries: RoundSummary[][], models: Float32Array[] }> {
  const network = new InProcessNetwork()
  const keys = await Promise.all(Array.from({ length: honestCount + (attack === undefined ? 0 : 1) }, (_, i) => generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(i + 1))))
  const ids = keys.map(k => peerIdFromPrivateKey(k).toString())
  const aggregator = createAggregator(manifest.aggregation)
  const summaries: RoundSummary[][] = keys.map(() => [])
  const loops = keys.map((privateKey, i) => {
    const member = network.join(ids[i] as string)
    // The attacker runs the honest round loop; only its network and trainer are wrapped.
    const adversary = attack !== undefined && i === honestCount ? new Adversary({ attack: parseAttack(attack), colluders: [ids[i] as string] }, { aggregator }) : undefined
    return new RoundLoop({
      manifest, networkId: networkId(manifest), privateKey, peerId: ids[i] as string, parameterCount: 1, datasetFingerprint: '', startRound: 0, startWeights: m(0), rounds
    }, {
      network: adversary?.wrapNetwork(member, { manifest, privateKey, parameterCount: 1 }) ?? member,
      trainer: adversary?.wrapTrainer(halfwayToOne, manifest) ?? halfwayToOne,
      aggregator,
      log: silentLogger,
      onRound: s => { summaries[i]?.push(s) }
    })
  })
  const models = await Promise.all(loops.map(l => l.run(new AbortController().signal)))
  return { summaries, models }
}

describe('round loop with an attacker', () => {
  it('a sign-flip attacker reaches every honest node through the ordinary protocol', async () => {
    const manifest: NetworkManifest = { ...DEFAULT_MANIFEST, aggregation: { rule: 'mean' }, rounds: { quorum: 4, deadlineMs: 10_000, window: 2 } }
    const { summaries, models } = await swarm(manifest, 4, 'sign-flip', 2)
    // Round 0: honest 0 -> 0.5, attacker sends -0.5, mean of 4 x 0.5 and -0.5 = 0.3.
    // Round 1: 0.3 -> 0.65, mean (4 x 0.65 - 0.65) / 5 = 0.39.
    for (const model of models.slice(0, 4)) assert.ok(Math.abs((model[0] as number) - 0.39) < 1e-6, String(model[0]))
    for (const s of summaries.slice(0, 4)) assert.deepEqual(s.map(x => x.used), [4, 4])
  })

  it('an undo-progress attacker measures the honest update from its own start model and reverses the mean\'s step', async () => {
    const manifest: NetworkManifest = { ...DEFAULT_MANIFEST, aggregation: { rule: 'mean' }, rounds: { quorum: 4, deadlineMs: 10_000, window: 2 } }
    const { models } = await swarm(manifest, 4, 'undo-progress', 1)
    // Honest nodes train 0 -> 0.5; without the attacker the mean would keep 0.5. The search sends
    // the cluster far against the update: the honest aggregate ends below the start model 0.
    for (const model of models.slice(0, 4)) assert.ok((model[0] as number) < 0, String(model[0]))
  })

  it('own-loss needs the loss on the node\'s own data: a daemon without it is refused with a setting error', async () => {
    const manifest: NetworkManifest = { ...DEFAULT_MANIFEST, aggregation: { rule: 'mean' } }
    const privateKey = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(9))
    const adversary = new Adversary({ attack: parseAttack('own-loss'), colluders: ['x'] }, { aggregator: median })
    const member = new InProcessNetwork().join(peerIdFromPrivateKey(privateKey).toString())
    assert.throws(() => adversary.wrapNetwork(member, { manifest, privateKey, parameterCount: 1 }), (e: unknown) => e instanceof ConfigError && /own-loss/.test(e.message))
    assert.doesNotThrow(() => adversary.wrapNetwork(member, { manifest, privateKey, parameterCount: 1, loss: w => -(w[0] as number) }))
  })

  it('with rounds.fanout each node fetches and aggregates only its sample', async () => {
    const manifest: NetworkManifest = { ...DEFAULT_MANIFEST, aggregation: { rule: 'mean' }, rounds: { quorum: 4, deadlineMs: 10_000, window: 2, fanout: 2 } }
    const { summaries } = await swarm(manifest, 5, undefined, 3)
    for (const s of summaries) {
      assert.deepEqual(s.map(x => x.used), [2, 2, 2])
      assert.ok(s.every(x => x.bytesFetched === 2 * 4), JSON.stringify(s.map(x => x.bytesFetched)))
    }
  })
})
