import assert from 'node:assert/strict'
import { describe, it } from 'mocha'
import { DEFAULT_MANIFEST } from '../../../src/protocol/index.ts'
import { ALIGNED_SEARCHES, ATTACKS, DEFAULT_RULE, MEMORY_CEILING, MEMORY_STRICT_THRESHOLD, MEMORY_THRESHOLD, RULES, STRICTER_FLOOR_SEARCHES, attacksOf, fullMatrix, ruleLabel, scenarioId } from '../../../scripts/robustness/scenarios.ts'

describe('scripts/robustness/scenarios ruleLabel', () => {
  it('names each memory variant by its threshold and options, so cached runs of one are never taken for another', () => {
    const base = { rule: 'trimmed-mean', b: 3, nnm: true }
    assert.equal(ruleLabel(base), 'trimmed-mean+nnm')
    assert.equal(ruleLabel({ ...base, alignmentThreshold: MEMORY_THRESHOLD }), 'trimmed-mean+nnm+memory')
    assert.equal(ruleLabel({ ...base, alignmentThreshold: MEMORY_STRICT_THRESHOLD }), 'trimmed-mean+nnm+memory+strict')
    assert.equal(ruleLabel({ ...base, alignmentThreshold: MEMORY_THRESHOLD, alignmentCeiling: MEMORY_CEILING }), 'trimmed-mean+nnm+memory+ceiling')
    assert.equal(ruleLabel({ ...base, alignmentThreshold: MEMORY_THRESHOLD, alignmentWithOwn: true }), 'trimmed-mean+nnm+memory+own')
    assert.equal(ruleLabel({ ...base, alignmentThreshold: MEMORY_THRESHOLD, arc: true }), 'trimmed-mean+nnm+memory+arc')
  })

  it('labels the built-in manifest\'s rule with the threshold the matrix runs under that label', () => {
    const threshold = DEFAULT_MANIFEST.aggregation.alignmentThreshold
    if (DEFAULT_RULE.includes('+memory')) assert.equal(threshold, DEFAULT_RULE.includes('+strict') ? MEMORY_STRICT_THRESHOLD : MEMORY_THRESHOLD)
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

  it('runs the searches kept to 0 against every memory at -0.1 and the rule under them in every group on seed 1, and against the memory at -0.1 and the ceiling on seeds 1-3 (the rule under them in S3 on Dir(0.5) data)', () => {
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
        for (const rule of ['trimmed-mean+nnm+memory', 'trimmed-mean+nnm+memory+ceiling']) {
          const groups = matrix.filter(s => s.rule === rule && s.attack === attack && s.seed === seed).map(s => `${s.group} ${s.partition}`)
          assert.deepEqual(groups.sort(), everyGroup, `${rule} seed ${seed}`)
        }
        assert.ok(matrix.some(s => s.rule === 'trimmed-mean+nnm' && s.attack === attack && s.seed === seed && s.group === 'S3' && s.partition === 'dirichlet:0.5'), `seed ${seed}`)
      }
    }
  })

  it('runs the searches kept to either floor against every rule without a memory but the control, and seed 1 of every rule\'s every attack in every group', () => {
    assert.deepEqual(attacksOf('mean'), ATTACKS)
    for (const rule of RULES.filter(r => r !== 'mean' && !r.includes('+memory'))) {
      for (const a of [...ALIGNED_SEARCHES, ...STRICTER_FLOOR_SEARCHES]) assert.ok(attacksOf(rule).includes(a), `${rule} ${a}`)
    }
    const ids = new Set(fullMatrix().map(scenarioId))
    const groups = [['S1', 'iid', 3, 0], ['S2', 'dirichlet:0.5', 3, 0], ['S3', 'iid', 5, 0], ['S3', 'dirichlet:0.5', 5, 0], ['S4', 'iid', 3, 6], ['S4', 'dirichlet:0.5', 3, 6]] as const
    for (const rule of RULES) {
      for (const [group, partition, byzantine, fanout] of groups) {
        for (const attack of attacksOf(rule)) assert.ok(ids.has(scenarioId({ group, rule, attack, byzantine, partition, fanout, seed: 1, rounds: 200 })), `${group} ${partition} ${rule} ${attack}`)
      }
    }
  })

  it('runs every attack in S3 on IID data on seeds 1-3 against the three memories that tie on their two worst cases, and +own\'s searches in S3 on Dir(0.5) data on seeds 1-3', () => {
    const ids = new Set(fullMatrix().map(scenarioId))
    for (const rule of ['trimmed-mean+nnm+memory', 'trimmed-mean+nnm+memory+ceiling', 'trimmed-mean+nnm+memory+strict']) {
      for (const seed of [1, 2, 3]) {
        for (const attack of attacksOf(rule)) assert.ok(ids.has(scenarioId({ group: 'S3', rule, attack, byzantine: 5, partition: 'iid', fanout: 0, seed, rounds: 200 })), `${rule} ${attack} seed ${seed}`)
      }
    }
    for (const seed of [1, 2, 3]) {
      for (const attack of attacksOf('trimmed-mean+nnm+memory+own').filter(a => a.startsWith('undo-progress') || a.startsWith('own-loss'))) {
        assert.ok(ids.has(scenarioId({ group: 'S3', rule: 'trimmed-mean+nnm+memory+own', attack, byzantine: 5, partition: 'dirichlet:0.5', fanout: 0, seed, rounds: 200 })), `+own ${attack} seed ${seed}`)
      }
    }
  })

  it('runs every attack in S2 on seeds 4 and 5 against the default memory, with the unattacked runs that give those seeds\' A_base and A_local', () => {
    const ids = new Set(fullMatrix().map(scenarioId))
    for (const seed of [4, 5]) {
      for (const rule of ['mean', 'local', 'trimmed-mean+nnm+memory']) {
        assert.ok(ids.has(scenarioId({ group: 'S0', rule, attack: 'none', byzantine: 0, partition: 'dirichlet:0.5', fanout: 0, seed, rounds: 200 })), `${rule} seed ${seed}`)
      }
      for (const attack of attacksOf('trimmed-mean+nnm+memory')) {
        assert.ok(ids.has(scenarioId({ group: 'S2', rule: 'trimmed-mean+nnm+memory', attack, byzantine: 3, partition: 'dirichlet:0.5', fanout: 0, seed, rounds: 200 })), `${attack} seed ${seed}`)
      }
    }
  })

  it('runs the trimmed mean, +own and the default in S3 on Dir(0.5) data on seeds 4 and 5 with the attacks each ran there on seeds 2 and 3', () => {
    const matrix = fullMatrix()
    const attacksOn = (rule: string, seed: number): string[] => matrix.filter(s => s.group === 'S3' && s.partition === 'dirichlet:0.5' && s.rule === rule && s.seed === seed).map(s => s.attack).sort()
    for (const rule of ['trimmed-mean', 'trimmed-mean+nnm+memory+own', 'trimmed-mean+nnm+memory']) {
      for (const seed of [4, 5]) assert.deepEqual(attacksOn(rule, seed), attacksOn(rule, 2), `${rule} seed ${seed}`)
    }
    assert.deepEqual(attacksOn('trimmed-mean', 4), [...attacksOf('trimmed-mean')].sort())
  })

  it('runs every attack in S1 on seeds 4 and 5 against the default memory with those seeds\' unattacked runs on IID data, and its searches in S4 on Dir(0.5) data on seeds 1-5', () => {
    const matrix = fullMatrix()
    const ids = new Set(matrix.map(scenarioId))
    for (const seed of [4, 5]) {
      for (const rule of ['mean', 'local', 'trimmed-mean+nnm+memory']) {
        assert.ok(ids.has(scenarioId({ group: 'S0', rule, attack: 'none', byzantine: 0, partition: 'iid', fanout: 0, seed, rounds: 200 })), `${rule} seed ${seed}`)
      }
      for (const attack of attacksOf('trimmed-mean+nnm+memory')) {
        assert.ok(ids.has(scenarioId({ group: 'S1', rule: 'trimmed-mean+nnm+memory', attack, byzantine: 3, partition: 'iid', fanout: 0, seed, rounds: 200 })), `${attack} seed ${seed}`)
      }
    }
    const searches = ['undo-progress', 'own-loss', 'undo-progress:floor=0', 'own-loss:floor=0', 'undo-progress:slack=1', 'own-loss:slack=1'].sort()
    for (const seed of [2, 3, 4, 5]) {
      const attacks = matrix.filter(s => s.group === 'S4' && s.partition === 'dirichlet:0.5' && s.rule === 'trimmed-mean+nnm+memory' && s.seed === seed).map(s => s.attack).sort()
      assert.deepEqual(attacks, searches, `seed ${seed}`)
    }
  })

  it('runs every attack in S2 on seeds 2-5 against +own, with its unattacked runs on both partitions, as the default has them', () => {
    const matrix = fullMatrix()
    const runsOf = (rule: string, group: string, seed: number): string[] => matrix.filter(s => s.group === group && s.rule === rule && s.seed === seed).map(s => `${s.partition} ${s.attack}`).sort()
    for (const seed of [2, 3, 4, 5]) {
      assert.deepEqual(runsOf('trimmed-mean+nnm+memory+own', 'S2', seed), attacksOf('trimmed-mean+nnm+memory+own').map(a => `dirichlet:0.5 ${a}`).sort(), `S2 seed ${seed}`)
      assert.deepEqual(runsOf('trimmed-mean+nnm+memory+own', 'S0', seed), ['dirichlet:0.5 none', 'iid none'], `S0 seed ${seed}`)
    }
    assert.deepEqual(attacksOf('trimmed-mean+nnm+memory+own'), attacksOf('trimmed-mean+nnm+memory'))
  })

  it('runs +own\'s searches in S4 on the seeds the default has them: on Dir(0.5) data seeds 1-5, on IID data seeds 1-3', () => {
    const matrix = fullMatrix()
    const searchesOf = (rule: string, partition: string, seed: number): string[] => matrix.filter(s => s.group === 'S4' && s.rule === rule && s.partition === partition && s.seed === seed).map(s => s.attack).sort()
    for (const seed of [2, 3, 4, 5]) assert.deepEqual(searchesOf('trimmed-mean+nnm+memory+own', 'dirichlet:0.5', seed), searchesOf('trimmed-mean+nnm+memory', 'dirichlet:0.5', seed), `Dir(0.5) seed ${seed}`)
    for (const seed of [2, 3]) {
      assert.deepEqual(searchesOf('trimmed-mean+nnm+memory+own', 'iid', seed), searchesOf('trimmed-mean+nnm+memory', 'iid', seed), `IID seed ${seed}`)
      assert.deepEqual(searchesOf('trimmed-mean+nnm+memory+own', 'iid', seed), ['own-loss', 'own-loss:floor=0', 'undo-progress', 'undo-progress:floor=0'])
    }
  })

  it('runs every attack of the memory in every group on seed 1 against the memory with adaptive robust clipping, S3 on Dir(0.5) data first, and there its searches on seeds 2 and 3 as +own has them', () => {
    const matrix = fullMatrix()
    const arc = matrix.filter(s => s.rule === 'trimmed-mean+nnm+memory+arc' && s.seed === 1)
    for (const [group, partition] of [['S1', 'iid'], ['S2', 'dirichlet:0.5'], ['S3', 'iid'], ['S3', 'dirichlet:0.5'], ['S4', 'iid'], ['S4', 'dirichlet:0.5']]) {
      const attacks = arc.filter(s => s.group === group && s.partition === partition).map(s => s.attack).sort()
      assert.deepEqual(attacks, [...attacksOf('trimmed-mean+nnm+memory')].sort(), `${group} ${partition}`)
    }
    assert.deepEqual(arc.filter(s => s.group === 'S0').map(s => s.partition).sort(), ['dirichlet:0.5', 'iid'])
    for (const seed of [2, 3]) {
      const searches = (rule: string): string[] => matrix.filter(s => s.group === 'S3' && s.partition === 'dirichlet:0.5' && s.rule === rule && s.seed === seed).map(s => s.attack).sort()
      assert.deepEqual(searches('trimmed-mean+nnm+memory+arc'), searches('trimmed-mean+nnm+memory+own'), `S3 Dir(0.5) seed ${seed}`)
    }
    const first = matrix.findIndex(s => s.rule === 'trimmed-mean+nnm+memory+arc')
    assert.deepEqual(matrix.slice(first, first + attacksOf('trimmed-mean+nnm+memory+arc').length).map(s => `${s.group} ${s.partition}`), attacksOf('trimmed-mean+nnm+memory+arc').map(() => 'S3 dirichlet:0.5'))
  })

  it('runs every attack against the memory with adaptive robust clipping on seeds 2 and 3 in S1, S2 and S4 on Dir(0.5) data (first), with its unattacked runs and in S4 and S3 on IID data, and its searches in S3 on Dir(0.5) data on +own\'s seeds 4 and 5', () => {
    const matrix = fullMatrix()
    const arcRule = 'trimmed-mean+nnm+memory+arc'
    for (const seed of [2, 3]) {
      for (const [group, partition] of [['S1', 'iid'], ['S2', 'dirichlet:0.5'], ['S4', 'dirichlet:0.5'], ['S4', 'iid'], ['S3', 'iid']]) {
        const attacks = matrix.filter(s => s.rule === arcRule && s.seed === seed && s.group === group && s.partition === partition).map(s => s.attack).sort()
        assert.deepEqual(attacks, [...attacksOf(arcRule)].sort(), `${group} ${partition} seed ${seed}`)
      }
      assert.deepEqual(matrix.filter(s => s.rule === arcRule && s.seed === seed && s.group === 'S0').map(s => s.partition).sort(), ['dirichlet:0.5', 'iid'], `S0 seed ${seed}`)
    }
    const firstOnSeed2 = matrix.find(s => s.rule === arcRule && s.seed === 2 && s.group !== 'S3')
    assert.deepEqual([firstOnSeed2?.group, firstOnSeed2?.partition], ['S4', 'dirichlet:0.5'])
    const s3Searches = (rule: string, seed: number): string[] => matrix.filter(s => s.group === 'S3' && s.partition === 'dirichlet:0.5' && s.rule === rule && s.seed === seed).map(s => s.attack).sort()
    for (const seed of [4, 5]) assert.deepEqual(s3Searches(arcRule, seed), s3Searches('trimmed-mean+nnm+memory+own', seed), `S3 Dir(0.5) seed ${seed}`)
  })

  it('runs every attack against the memory with adaptive robust clipping on seeds 4 and 5 in S2 (first), S4 on Dir(0.5) data and S1, where the default has five seeds', () => {
    const matrix = fullMatrix()
    const arcRule = 'trimmed-mean+nnm+memory+arc'
    for (const seed of [4, 5]) {
      for (const [group, partition] of [['S1', 'iid'], ['S2', 'dirichlet:0.5'], ['S4', 'dirichlet:0.5']]) {
        const attacks = (rule: string): string[] => matrix.filter(s => s.rule === rule && s.seed === seed && s.group === group && s.partition === partition).map(s => s.attack).sort()
        assert.deepEqual(attacks(arcRule), [...attacksOf(arcRule)].sort(), `${group} ${partition} seed ${seed}`)
        // The default has every attack there on seeds 4 and 5 but in S4, where it has its searches.
        const defaults = attacks('trimmed-mean+nnm+memory')
        assert.ok(defaults.length > 0 && defaults.every(a => attacks(arcRule).includes(a)), `${group} ${partition} seed ${seed}: the default's attacks`)
      }
    }
    const firstOnSeed4 = matrix.find(s => s.rule === arcRule && s.seed === 4 && s.group !== 'S3')
    assert.deepEqual([firstOnSeed4?.group, firstOnSeed4?.partition], ['S2', 'dirichlet:0.5'])
  })
})
