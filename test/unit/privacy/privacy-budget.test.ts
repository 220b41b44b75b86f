import assert from 'node:assert/strict'
import {
  PRIVACY_BUDGET_FORMAT_VERSION, PrivacyBudgetExhaustedError, PrivacyParameterError, computeEpsilon, createPrivacyBudget,
  epsilonSpent, parsePrivacyBudget, privacyBudgetJson, remainingSteps, spendSteps, stepsWithinBudget
} from '../../../src/privacy/index.ts'

const names = (parameter: string) => (err: unknown): boolean => err instanceof PrivacyParameterError && err.parameter === parameter

describe('privacy: budget', () => {
  const params = { samplingRate: 0.01, noiseMultiplier: 1.0, delta: 1e-5 }
  // A budget met exactly by 1000 steps.
  const exact = computeEpsilon({ ...params, steps: 1000 }, params.delta).epsilon

  it('allows exactly the steps whose epsilon is within it (a budget met exactly included)', () => {
    const budget = createPrivacyBudget({ ...params, epsilonBudget: exact })
    assert.equal(budget.stepsSpent, 0)
    assert.equal(stepsWithinBudget(budget), 1000)
    assert.equal(remainingSteps(budget), 1000)
    const spent = spendSteps(spendSteps(budget, 400), 600)
    assert.equal(spent.stepsSpent, 1000)
    assert.equal(epsilonSpent(spent).epsilon, exact)
    assert.equal(remainingSteps(spent), 0)
    assert.throws(() => spendSteps(spent, 1), PrivacyBudgetExhaustedError)
    assert.equal(spent.stepsSpent, 1000, 'nothing spent on refusal')
    assert.ok(Object.isFrozen(spent))
  })

  it('spends nothing before the first step, and allows none when one step is over the budget', () => {
    const budget = createPrivacyBudget({ ...params, epsilonBudget: 0.01 })
    assert.deepEqual(epsilonSpent(budget), { epsilon: 0, order: 2 })
    assert.equal(stepsWithinBudget(budget), 0)
    assert.throws(() => spendSteps(budget, 1), PrivacyBudgetExhaustedError)
  })

  it('refuses parameters out of range, naming them', () => {
    assert.throws(() => createPrivacyBudget({ ...params, epsilonBudget: 0 }), names('epsilonBudget'))
    assert.throws(() => createPrivacyBudget({ ...params, epsilonBudget: Infinity }), names('epsilonBudget'))
    assert.throws(() => createPrivacyBudget({ ...params, epsilonBudget: 1, noiseMultiplier: 0 }), names('noiseMultiplier'))
    assert.throws(() => createPrivacyBudget({ ...params, epsilonBudget: 1, samplingRate: 0 }), names('samplingRate'))
    assert.throws(() => createPrivacyBudget({ ...params, epsilonBudget: 1, delta: 1 }), names('delta'))
    assert.throws(() => createPrivacyBudget({ ...params, epsilonBudget: 1, stepsSpent: -3 }), names('steps'))
  })

  it('persists as canonical JSON (sorted keys, epsilon spent and its order) and reads back the same budget', () => {
    const budget = spendSteps(createPrivacyBudget({ ...params, epsilonBudget: 4 }), 250)
    const text = privacyBudgetJson(budget)
    const parsed = JSON.parse(text) as Record<string, number>
    assert.deepEqual(Object.keys(parsed), [...Object.keys(parsed)].sort())
    assert.equal(text, JSON.stringify(parsed))
    const spent = epsilonSpent(budget)
    assert.deepEqual(parsed, { ...params, epsilonBudget: 4, stepsSpent: 250, epsilonSpent: spent.epsilon, order: spent.order, version: PRIVACY_BUDGET_FORMAT_VERSION })
    assert.deepEqual(parsePrivacyBudget(text), budget)
    assert.equal(privacyBudgetJson(parsePrivacyBudget(text)), text)
  })

  it('reads strictly: a spent epsilon that the steps do not give, an unknown field, another version', () => {
    const text = privacyBudgetJson(spendSteps(createPrivacyBudget({ ...params, epsilonBudget: 4 }), 250))
    const edit = (change: Record<string, unknown>): string => JSON.stringify({ ...JSON.parse(text) as object, ...change })
    assert.throws(() => parsePrivacyBudget(edit({ stepsSpent: 249 })), names('epsilonSpent'))
    assert.throws(() => parsePrivacyBudget(edit({ extra: 1 })), names('extra'))
    assert.throws(() => parsePrivacyBudget(edit({ version: 2 })), names('version'))
    assert.throws(() => parsePrivacyBudget(edit({ delta: '1e-5' })), names('delta'))
    assert.throws(() => parsePrivacyBudget('{'), names('privacyBudget'))
    assert.throws(() => parsePrivacyBudget('[]'), names('privacyBudget'))
  })
})
