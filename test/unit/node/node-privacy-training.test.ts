import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { PrivateTrainResult, PrivateTraining, TrainResult } from '../../../src/model/index.ts'
import { NodePrivacy, PRIVACY_STATE_FILE, PrivacyStateWriteError, budgetOf, planNodePrivacy } from '../../../src/node/node-privacy.ts'
import type { PrivateTrainerCalls } from '../../../src/node/node-privacy.ts'
import { computeEpsilon, parsePrivacyBudget, stepsWithinBudget } from '../../../src/privacy/index.ts'
import { DEFAULT_MANIFEST, parseManifest } from '../../../src/protocol/index.ts'

const RECORDS = 3750
const manifestWith = (privacy: Record<string, unknown>): ReturnType<typeof parseManifest> =>
  parseManifest(JSON.parse(JSON.stringify({ ...DEFAULT_MANIFEST, training: { ...DEFAULT_MANIFEST.training, localSteps: 5 }, privacy })))

/** A budget that allows exactly `rounds` rounds of 5 steps at q = 32 / 3750 and sigma 1. */
function budgetForRounds (rounds: number): number {
  const at = (steps: number): number => computeEpsilon({ samplingRate: 32 / RECORDS, noiseMultiplier: 1, steps }, 1e-5).epsilon
  return (at(5 * rounds) + at(5 * rounds + 5)) / 2
}

/** A trainer that records what it was asked and reads the state on disk when asked to train. */
function recordingTrainer (dataDir: string): PrivateTrainerCalls & { calls: string[], stepsOnDiskAtTraining: number[] } {
  const calls: string[] = []
  const stepsOnDiskAtTraining: number[] = []
  const onDisk = async (): Promise<void> => { stepsOnDiskAtTraining.push(parsePrivacyBudget(await readFile(join(dataDir, PRIVACY_STATE_FILE), 'utf8')).stepsSpent) }
  return {
    calls,
    stepsOnDiskAtTraining,
    trainPrivately: async (weights: Float32Array, privacy: PrivateTraining): Promise<PrivateTrainResult> => {
      calls.push(`private C=${privacy.clipNorm} sigma=${privacy.noiseMultiplier}`)
      await onDisk()
      return { weights: weights.map(w => w + 1), steps: 5, samplingRate: 32 / RECORDS }
    },
    train: async (weights: Float32Array): Promise<TrainResult> => {
      calls.push('plain')
      await onDisk()
      return { weights: weights.map(w => w + 1), loss: 0.5, sampleCount: 160 }
    }
  }
}

describe('node privacy: training under the budget', () => {
  let dir = ''
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'meshtrain-private-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  const PRIVACY = { mode: 'dp-sgd', delta: 1e-5, clipNorm: 1, noiseMultiplier: 1, onBudgetExhausted: 'relay' }

  it('spends and saves each round\'s steps before it trains, announces epsilon from the steps, and relays once spent', async () => {
    const manifest = manifestWith({ ...PRIVACY, epsilonBudget: budgetForRounds(3) })
    const privacy = await NodePrivacy.open(dir, manifest, RECORDS, false)
    assert.ok(privacy !== undefined)
    const trainer = recordingTrainer(dir)
    const start = new Float32Array([1, 2, 3])
    for (let round = 0; round < 3; round++) {
      assert.equal(privacy.exhausted, false)
      const trained = await privacy.train(trainer, start)
      assert.deepEqual([...trained.weights], [2, 3, 4])
      // Loss and example count are not measured from the data: 0 and the public localSteps x batchSize.
      assert.equal(trained.loss, 0)
      assert.equal(trained.sampleCount, 5 * 32)
      const expected = computeEpsilon({ samplingRate: 32 / RECORDS, noiseMultiplier: 1, steps: 5 * (round + 1) }, 1e-5).epsilon
      assert.deepEqual(privacy.announced(), { epsilon: expected, delta: 1e-5, noiseMultiplier: 1 })
    }
    assert.deepEqual(trainer.stepsOnDiskAtTraining, [5, 10, 15], 'the state on disk already held each round\'s steps when it trained')
    assert.equal(privacy.exhausted, true)
    const status = privacy.status()
    assert.equal(status.stepsSpent, 15)
    assert.equal(status.exhausted, true)
    assert.ok(status.epsilonSpent <= status.epsilonBudget)
    // Spent: the model given back unchanged, nothing trained, nothing spent.
    const relayed = await privacy.train(trainer, start)
    assert.deepEqual([...relayed.weights], [1, 2, 3])
    assert.notEqual(relayed.weights, start)
    assert.equal(relayed.sampleCount, 0)
    assert.equal(trainer.calls.length, 3)
    assert.equal(privacy.status().stepsSpent, 15)
    assert.ok(trainer.calls.every(c => c === 'private C=1 sigma=1'))
  })

  it('resumes the spent budget after a restart (a checkpoint and the saved state)', async () => {
    const manifest = manifestWith({ ...PRIVACY, epsilonBudget: budgetForRounds(3) })
    const first = await NodePrivacy.open(dir, manifest, RECORDS, false) as NodePrivacy
    const trainer = recordingTrainer(dir)
    await first.train(trainer, new Float32Array(3))
    await first.train(trainer, new Float32Array(3))
    const resumed = await NodePrivacy.open(dir, manifest, RECORDS, true) as NodePrivacy
    assert.equal(resumed.status().stepsSpent, 10)
    assert.deepEqual(resumed.announced(), first.announced())
    await resumed.train(trainer, new Float32Array(3))
    assert.equal(resumed.exhausted, true)
    const plan = planNodePrivacy(manifest, RECORDS)
    assert.ok(plan !== undefined)
    // The budget allows more than 3 rounds' steps but fewer than 4 rounds'.
    const within = stepsWithinBudget(budgetOf(plan))
    assert.ok(within >= 15 && within < 20, `${within} steps within the budget`)
  })

  it('update-clip: trains plainly, then clips and noises the update; one step at q = 1 per round', async () => {
    const manifest = manifestWith({ ...PRIVACY, mode: 'update-clip', epsilonBudget: 1000, noiseMultiplier: 0.05 })
    const privacy = await NodePrivacy.open(dir, manifest, RECORDS, false) as NodePrivacy
    const trainer = recordingTrainer(dir)
    const trained = await privacy.train(trainer, new Float32Array([0, 0, 0, 0]))
    assert.deepEqual(trainer.calls, ['plain'])
    // The update (1, 1, 1, 1) has norm 2, clipped to C = 1: 0.5 per coordinate, plus noise of std 0.05.
    for (const w of trained.weights) assert.ok(Math.abs(w - 0.5) < 0.4, `${w}`)
    assert.ok(trained.weights.some(w => w !== 0.5), 'noised')
    assert.equal(privacy.status().stepsSpent, 1)
    assert.equal(privacy.status().samplingRate, 1)
  })

  it('trains nothing when the spending cannot be saved', async () => {
    const manifest = manifestWith({ ...PRIVACY, epsilonBudget: budgetForRounds(3) })
    const dataDir = join(dir, 'node')
    await mkdir(dataDir)
    const privacy = await NodePrivacy.open(dataDir, manifest, RECORDS, false) as NodePrivacy
    // The data directory replaced by a file: the state cannot be written.
    await rm(dataDir, { recursive: true })
    await writeFile(dataDir, '')
    const trainer = recordingTrainer(dir)
    await assert.rejects(privacy.train(trainer, new Float32Array(3)), PrivacyStateWriteError)
    assert.deepEqual(trainer.calls, [])
    assert.equal(privacy.status().stepsSpent, 0)
  })
})
