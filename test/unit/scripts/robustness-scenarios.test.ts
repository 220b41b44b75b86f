import assert from 'node:assert/strict'
import { describe, it } from 'mocha'
import { DEFAULT_MANIFEST } from '../../../src/protocol/index.ts'
import { DEFAULT_RULE, MEMORY_CEILING, MEMORY_STRICT_THRESHOLD, MEMORY_THRESHOLD, RULES, STRICTER_FLOOR_SEARCHES, attacksOf, fullMatrix, ruleLabel, scenarioId } from '../../../scripts/robustness/scenarios.ts'

describe('scripts/robustness/scenarios ruleLabel', () => {
  it('names each memory variant by its threshold and options, so cached runs of one are never taken for another', () => {
    const base = { rule: 'trimmed-mean', b: 3, nnm: true }
    assert.equal(ruleLabel(base), 'trimmed-mean+nnm')
    assert.equal(ruleLabel({ ...base, alignmentThreshold: MEMORY_THRESHOLD }), 'trimmed-mean+nnm+memory')
    assert.equal(ruleLabel({ ...base, alignmentThreshold: MEMORY_STRICT_THRESHOLD }), 'trimmed-mean+nnm+memory+strict')
    assert.equal(ruleLabel({ ...base, alignmentThreshold: MEMORY_THRESHOLD, alignmentCeiling: MEMORY_CEILING }), 'trimmed-mean+nnm+memory+ceiling')
    assert.equal(ruleLabel({ ...base, alignmentThreshold: MEMORY_THRESHOLD, alignmentWithOwn: true }), 'trimmed-mean+nnm+memory+own')
  })

  it('labels the built-in manifest\'s rule with the threshold the matrix runs under that label', () => {
    const threshold = DEFAULT_MANIFEST.aggregation.alignmentThreshold
    if (DEFAULT_RULE.endsWith('+memory')) assert.equal(threshold, MEMORY_THRESHOLD)
    if (DEFAULT_RULE.includes('+strict')) assert.equal(threshold, MEMORY_STRICT_THRESHOLD)
    assert.ok(RULES.includes(DEFAULT_RULE as typeof RULES[number]), DEFAULT_RULE)
  })

  it('lists every rule of the matrix under its own scenario ids, the memory variants against the memory\'s attacks', () => {
    const matrix = fullMatrix()
    assert.equal(new Set(matrix.map(scenarioId)).size, matrix.length)
    for (const rule of RULES) assert.ok(matrix.some(s => s.rule === rule), rule)
    const strict = matrix.filter(s => s.rule === 'trimmed-mean+nnm+memory+strict' && s.group === 'S2' && s.seed === 1).map(s => s.attack)
    assert.deepEqual([...strict].sort(), [...attacksOf('trimmed-mean+nnm+memory+strict')].sort())
    assert.ok(strict.includes('own-loss:slack=1'))
  })

  it('runs the searches kept to 0 against every memory at -0.1 and the rule under them in every group on seed 1, and against the default and the ceiling on seeds 1-3 (the rule under them in S3 on Dir(0.5) data)', () => {
    const matrix = fullMatrix()
    const everyGroup = ['S1 iid', 'S2 dirichlet:0.5', 'S3 dirichlet:0.5', 'S3 iid', 'S4 dirichlet:0.5', 'S4 iid']
    const rules = RULES.filter(r => r.endsWith('+memory') || r.endsWith('+own') || r.endsWith('+ceiling') || r === 'trimmed-mean+nnm')
    assert.equal(rules.length, 4)
    for (const attack of STRICTER_FLOOR_SEARCHES) {
      for (const rule of rules) {
        assert.ok(attacksOf(rule).includes(attack), rule)
        const groups = matrix.filter(s => s.rule === rule && s.attack === attack && s.seed === 1).map(s => `${s.group} ${s.partition}`)
        assert.deepEqual(groups.sort(), everyGroup, rule)
      }
      for (const seed of [2, 3]) {
        for (const rule of [DEFAULT_RULE, 'trimmed-mean+nnm+memory+ceiling']) {
          const groups = matrix.filter(s => s.rule === rule && s.attack === attack && s.seed === seed).map(s => `${s.group} ${s.partition}`)
          assert.deepEqual(groups.sort(), everyGroup, `${rule} seed ${seed}`)
        }
        assert.ok(matrix.some(s => s.rule === 'trimmed-mean+nnm' && s.attack === attack && s.seed === seed && s.group === 'S3' && s.partition === 'dirichlet:0.5'), `seed ${seed}`)
      }
    }
  })
})
