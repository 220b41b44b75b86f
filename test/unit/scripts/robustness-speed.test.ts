import assert from 'node:assert/strict'
import { speedKind } from '../../../scripts/bench-robustness-speed.ts'
import type { Scenario } from '../../../scripts/robustness/scenarios.ts'

const scenario = (attack: string): Scenario => ({ group: 'S2', rule: 'trimmed-mean+nnm+memory', attack, byzantine: 3, partition: 'dirichlet:0.5', fanout: 0, seed: 1, rounds: 200 })

describe('scripts/bench-robustness-speed speedKind', () => {
  it('counts a search by the attack\'s name, whatever its parameters', () => {
    for (const attack of ['undo-progress', 'own-loss', 'undo-progress:slack=1', 'own-loss:floor=-0.1']) assert.equal(speedKind(scenario(attack)), 'objective search', attack)
    for (const attack of ['alie-opt', 'ipm-opt', 'alie-opt:evals=10']) assert.equal(speedKind(scenario(attack)), 'line search', attack)
    for (const attack of ['none', 'alie', 'alie:z=10', 'frame', 'dissensus:epsilon=4']) assert.equal(speedKind(scenario(attack)), 'no search', attack)
  })
})
