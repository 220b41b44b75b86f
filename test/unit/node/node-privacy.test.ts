import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PRIVACY_STATE_FILE, PrivacyStateError, budgetOf, planNodePrivacy, resumePrivacyState, savePrivacyState } from '../../../src/node/node-privacy.ts'
import { computeEpsilon, privacyBudgetJson, smallestNoiseMultiplier, spendSteps, stepsWithinBudget } from '../../../src/privacy/index.ts'
import { DEFAULT_MANIFEST, ManifestError, parseManifest } from '../../../src/protocol/index.ts'

const PRIVACY = { mode: 'dp-sgd', epsilonBudget: 4, delta: 1e-5, clipNorm: 1, noiseMultiplier: 1.1, onBudgetExhausted: 'stop' }
const manifestWith = (privacy: Record<string, unknown>): ReturnType<typeof parseManifest> => parseManifest(JSON.parse(JSON.stringify({ ...DEFAULT_MANIFEST, privacy })))

describe('node privacy plan', () => {
  it('is absent when privacy is off', () => {
    assert.equal(planNodePrivacy(DEFAULT_MANIFEST, 3750), undefined)
  })

  it('dp-sgd: q = batchSize / records, localSteps accounted steps per round, the manifest\'s sigma', () => {
    const plan = planNodePrivacy(manifestWith(PRIVACY), 3750)
    assert.deepEqual(plan, { mode: 'dp-sgd', samplingRate: 32 / 3750, stepsPerRound: 20, noiseMultiplier: 1.1, clipNorm: 1, epsilonBudget: 4, delta: 1e-5, onBudgetExhausted: 'stop' })
    assert.equal(planNodePrivacy(manifestWith(PRIVACY), 20)?.samplingRate, 1)
  })

  it('update-clip: the whole data set once per round (q = 1, one step)', () => {
    const plan = planNodePrivacy(manifestWith({ ...PRIVACY, mode: 'update-clip' }), 3750)
    assert.equal(plan?.samplingRate, 1)
    assert.equal(plan?.stepsPerRound, 1)
  })

  it('"auto": the smallest sigma that keeps the planned rounds within the budget at this node\'s rate', () => {
    const plan = planNodePrivacy(manifestWith({ ...PRIVACY, noiseMultiplier: 'auto', plannedRounds: 200 }), 3750)
    assert.ok(plan !== undefined)
    assert.equal(plan.noiseMultiplier, smallestNoiseMultiplier(4, 32 / 3750, 4000, 1e-5))
    assert.ok(computeEpsilon({ samplingRate: 32 / 3750, noiseMultiplier: plan.noiseMultiplier, steps: 4000 }, 1e-5).epsilon <= 4)
    const steps = stepsWithinBudget(budgetOf(plan))
    assert.ok(steps >= 4000 && steps < 4100, `${steps} steps within the budget`)
    // A node with less data samples more of it per step and needs more noise.
    assert.ok((planNodePrivacy(manifestWith({ ...PRIVACY, noiseMultiplier: 'auto', plannedRounds: 200 }), 1000)?.noiseMultiplier ?? 0) > plan.noiseMultiplier)
  })

  it('refuses a delta that is not below 1 / records, saying why (more records need a smaller delta)', () => {
    assert.throws(() => planNodePrivacy(manifestWith({ ...PRIVACY, delta: 1e-3 }), 1000),
      (err: unknown) => err instanceof ManifestError && err.setting === 'privacy.delta' && err.exitStatus === 2 && /not below 1 \/ 1000/.test(err.message))
    assert.throws(() => planNodePrivacy(manifestWith({ ...PRIVACY, delta: 1e-3 }), 5000), /privacy\.delta/)
    assert.ok(planNodePrivacy(manifestWith({ ...PRIVACY, delta: 1e-3 }), 999) !== undefined)
  })
})

describe('node privacy state on disk', () => {
  let dir = ''
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'meshtrain-privacy-state-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })
  const plan = planNodePrivacy(manifestWith(PRIVACY), 3750)
  if (plan === undefined) throw new Error('the plan exists')

  it('starts a node that never trained with nothing spent, and refuses one with a checkpoint but no state', async () => {
    assert.equal((await resumePrivacyState(dir, plan, false)).stepsSpent, 0)
    await assert.rejects(resumePrivacyState(dir, plan, true), (err: unknown) => err instanceof PrivacyStateError && err.exitStatus === 2 && /missing but the node has a checkpoint/.test(err.message))
  })

  it('resumes the steps spent, from canonical JSON written with mode 0600', async () => {
    const spent = spendSteps(budgetOf(plan), 120)
    await savePrivacyState(dir, spent)
    const path = join(dir, PRIVACY_STATE_FILE)
    assert.equal(await readFile(path, 'utf8'), privacyBudgetJson(spent) + '\n')
    assert.equal((await stat(path)).mode & 0o777, 0o600)
    assert.deepEqual(await resumePrivacyState(dir, plan, true), spent)
  })

  it('refuses state written for other parameters, or damaged', async () => {
    await savePrivacyState(dir, spendSteps(budgetOf(plan), 10))
    const other = planNodePrivacy(manifestWith(PRIVACY), 4000)
    assert.ok(other !== undefined)
    await assert.rejects(resumePrivacyState(dir, other, true), (err: unknown) => err instanceof PrivacyStateError && /samplingRate/.test(err.message))
    await writeFile(join(dir, PRIVACY_STATE_FILE), privacyBudgetJson(spendSteps(budgetOf(plan), 10)).replace('"stepsSpent":10', '"stepsSpent":9'))
    await assert.rejects(resumePrivacyState(dir, plan, true), (err: unknown) => err instanceof PrivacyStateError && /epsilonSpent/.test(err.message))
  })
})
