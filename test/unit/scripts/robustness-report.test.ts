import assert from 'node:assert/strict'
import { ResultTable, choiceSentence, encodingRows, leadOverNoise, matrixChoice, rankRules, rankingRows, roundTwoRows, seedSpreadSentence } from '../../../scripts/robustness/report.ts'
import { DEFAULT_RULE, attacksOf } from '../../../scripts/robustness/scenarios.ts'
import type { Group, Partition } from '../../../scripts/robustness/scenarios.ts'
import type { ScenarioResult } from '../../../scripts/robustness/simulate.ts'

/** A result with only what the report reads: the scenario and the accuracies. */
function result (group: Group, rule: string, attack: string, partition: Partition, worst: number, seed = 1): ScenarioResult {
  const byzantine = group === 'S0' ? 0 : group === 'S3' ? 5 : 3
  const scenario = { group, rule, attack, byzantine, partition, fanout: group === 'S4' ? 6 : 0, seed, rounds: 200 }
  return { scenario, worstAccuracy: worst, meanAccuracy: worst, averagedModelAccuracy: worst } as unknown as ScenarioResult
}

describe('scripts/robustness/report roundTwoRows', () => {
  const bases = [result('S0', 'mean', 'none', 'iid', 0.85), result('S0', 'mean', 'none', 'dirichlet:0.5', 0.82)]

  it('gives per bar the worst honest node\'s largest gap over the attacks run, and says how much of the matrix ran', () => {
    const table = new ResultTable([
      ...bases,
      result('S0', 'median+nnm', 'none', 'iid', 0.845),
      result('S1', 'median+nnm', 'stale', 'iid', 0.84),
      result('S1', 'median+nnm', 'undo-progress', 'iid', 0.82),
      result('S2', 'median+nnm', 'own-loss', 'dirichlet:0.5', 0.79)
    ])
    const [header, row] = roundTwoRows(table, ['median+nnm'])
    assert.deepEqual(header, ['rule', 'no attack: gap (bar -1)', 'S1 IID: gap (bar -2)', 'S2 Dir(0.5): gap (bar -4)', 'S3 f=5: gap (bar -6)', 'S4 fanout 6: gap (bar -5)'])
    assert.deepEqual(row, [
      'median+nnm',
      '-0.50 (IID, 1 of 2 partitions) holds so far',
      `-3.00 (undo-progress; attacks run IID 2 of ${attacksOf('median+nnm').length}) MISSES`,
      `-3.00 (own-loss; attacks run Dir(0.5) 1 of ${attacksOf('median+nnm').length}) holds so far`,
      'not run',
      'not run'
    ])
  })

  it('says "holds" only once every attack of the matrix has run in every partition of the bar, and takes the worse partition', () => {
    const s3 = (partition: Partition, worst: number): ScenarioResult[] => attacksOf('median').map(a => result('S3', 'median', a, partition, worst))
    const table = new ResultTable([...bases, ...s3('iid', 0.80), ...s3('dirichlet:0.5', 0.765)])
    const cell = roundTwoRows(table, ['median'])[1]?.[4]
    const n = attacksOf('median').length
    assert.equal(cell, `-5.50 (Dir(0.5), crash; attacks run IID ${n} of ${n}, Dir(0.5) ${n} of ${n}) holds`)
    const worse = new ResultTable([...bases, ...s3('iid', 0.78), ...s3('dirichlet:0.5', 0.77)])
    assert.match(roundTwoRows(worse, ['median'])[1]?.[4] ?? '', /^-7\.00 \(IID, crash; .*\) MISSES$/)
  })

  it('compares each seed with its own seed\'s A_base (a seed is its own data split), the others with the average', () => {
    const table = new ResultTable([
      result('S0', 'mean', 'none', 'dirichlet:0.5', 0.80, 1), result('S0', 'mean', 'none', 'dirichlet:0.5', 0.84, 2),
      result('S2', 'median+nnm', 'undo-progress', 'dirichlet:0.5', 0.70, 1), result('S2', 'median+nnm', 'undo-progress', 'dirichlet:0.5', 0.80, 2),
      result('S2', 'median+nnm', 'own-loss', 'dirichlet:0.5', 0.79, 3)
    ])
    // undo-progress: (0.70 - 0.80 + 0.80 - 0.84) / 2 = -7; own-loss (seed 3, no A_base of its own): 0.79 - 0.82 = -3.
    assert.match(roundTwoRows(table, ['median+nnm'])[1]?.[3] ?? '', /^-7\.00 \(undo-progress; attacks run Dir\(0\.5\) 2 of \d+\) MISSES$/)
  })
})

describe('scripts/robustness/report encodingRows', () => {
  it('compares each encoding with float32 on the seeds the encodings ran (a seed is its own data split)', () => {
    const encoded = (encoding: 'float16' | 'int8', accuracy: number): ScenarioResult => {
      const r = result('S0', DEFAULT_RULE, 'none', 'iid', accuracy, 1)
      return { ...r, scenario: { ...r.scenario, encoding }, bytesPerNodePerRound: 0, keptOwnRounds: 0 }
    }
    const float32 = (accuracy: number, seed: number): ScenarioResult => ({ ...result('S0', DEFAULT_RULE, 'none', 'iid', accuracy, seed), bytesPerNodePerRound: 0, keptOwnRounds: 0 })
    const rows = encodingRows([float32(0.84, 1), float32(0.90, 2), encoded('float16', 0.83), encoded('int8', 0.82)], 'iid')
    // Against seed 1's 0.84 only, not the seed average 0.87.
    assert.deepEqual(rows?.find(r => r[0] === 'cost vs float32, points (mean)'), ['cost vs float32, points (mean)', '0.00', '1.00', '2.00'])
  })
})

describe('scripts/robustness/report rankRules', () => {
  const bases = [result('S0', 'mean', 'none', 'iid', 0.85), result('S0', 'mean', 'none', 'dirichlet:0.5', 0.82)]
  const attacked = [['S1', 'iid'], ['S2', 'dirichlet:0.5'], ['S3', 'iid'], ['S3', 'dirichlet:0.5'], ['S4', 'iid'], ['S4', 'dirichlet:0.5']] as const
  /** Every scenario for `rule`: no attack at the bases, every attack at 0.80 but where `worst` says otherwise. */
  const everyRun = (rule: string, worst: Record<string, number>): ScenarioResult[] => [
    result('S0', rule, 'none', 'iid', 0.85), result('S0', rule, 'none', 'dirichlet:0.5', 0.82),
    ...attacked.flatMap(([group, partition]) => attacksOf(rule).map(a => result(group, rule, a, partition, worst[`${group} ${partition} ${a}`] ?? 0.80)))
  ]

  it('ranks by the worst case first and breaks a tie with the next worst case (leximin)', () => {
    const table = new ResultTable([
      ...bases,
      ...everyRun('median', { 'S3 dirichlet:0.5 stale': 0.60, 'S1 iid crash': 0.70 }),
      ...everyRun('trimmed-mean', { 'S3 dirichlet:0.5 ipm': 0.60, 'S2 dirichlet:0.5 crash': 0.72 }),
      ...everyRun('krum', { 'S4 iid crash': 0.59 })
    ])
    const ranked = rankRules(table, ['krum', 'median', 'trimmed-mean'])
    // Both others lose 22 points in S3 Dir(0.5); then median -15 (S1) against trimmed-mean -10 (S2); krum -26 first.
    assert.deepEqual(ranked.map(r => r.rule), ['trimmed-mean', 'median', 'krum'])
    assert.deepEqual(ranked[0]?.worstCases.slice(0, 2).map(w => [w.scenario, w.attack, Number((100 * w.gap).toFixed(2)), w.seeds]), [['S3 f=5 Dir(0.5)', 'ipm', -22, 1], ['S2 f=3 Dir(0.5)', 'crash', -10, 1]])
    assert.ok(ranked.every(r => r.missingAttacks === 0))
    assert.match(rankingRows(ranked)[1]?.[2] ?? '', /^-22\.00 \(S3 f=5 Dir\(0\.5\), ipm, 1\); -10\.00 \(S2 f=3 Dir\(0\.5\), crash, 1\); -5\.00/)
  })

  it('ranks a rule on the attacks it has faced and counts those it has not; leaves out a rule not run in every scenario', () => {
    const partial = everyRun('median', {}).filter(r => !(r.scenario.group === 'S2' && r.scenario.attack === 'stale'))
    const table = new ResultTable([...bases, ...partial, ...everyRun('trimmed-mean', {}).filter(r => r.scenario.group !== 'S4')])
    const ranked = rankRules(table, ['median', 'trimmed-mean'])
    assert.deepEqual(ranked.map(r => [r.rule, r.missingAttacks]), [['median', 1]])
  })

  it('chooses the first rule within the no-attack bar, and says which rule would rank first without it and where the default stands', () => {
    const costly = everyRun('median', { 'S3 dirichlet:0.5 crash': 0.70 }).map(r => (r.scenario.group === 'S0' && r.scenario.partition === 'dirichlet:0.5' ? { ...r, worstAccuracy: 0.80 } : r))
    const table = new ResultTable([...bases, ...costly, ...everyRun('trimmed-mean', { 'S3 dirichlet:0.5 crash': 0.65 })])
    const ranked = rankRules(table, ['median', 'trimmed-mean'])
    assert.deepEqual(ranked.map(r => [r.rule, r.meetsNoAttackBar]), [['median', false], ['trimmed-mean', true]])
    assert.equal(matrixChoice(ranked)?.rule, 'trimmed-mean')
    assert.equal(choiceSentence(ranked, 'trimmed-mean'), 'Among the rules within the no-attack bar, trimmed-mean has faced all of its attacks and is the only rule within the bar, so it is the matrix\'s choice; the default is that rule. Without the no-attack bar, median would rank first (all of its attacks faced).')
    assert.match(choiceSentence(ranked, 'krum'), /the default is not ranked yet\./)
  })

  describe('the noise between seeds', () => {
    const seed23 = (rule: string, attack: string, worst: number): ScenarioResult[] => [2, 3].map(seed => result('S3', rule, attack, 'dirichlet:0.5', worst, seed))
    // median's crash in S3 Dir(0.5) over seeds 1-3: 0.60, 0.64, 0.64; the only setting run on more than one seed there.
    const rankedWith = (trimmedMeanCrash: number) => rankRules(new ResultTable([
      ...bases,
      ...everyRun('trimmed-mean', { 'S3 dirichlet:0.5 crash': trimmedMeanCrash }),
      ...everyRun('median', { 'S3 dirichlet:0.5 crash': 0.60 }), ...seed23('median', 'crash', 0.64)
    ]), ['median', 'trimmed-mean'])

    it('pools each scenario\'s seed-to-seed spread over the settings run on two seeds or more', () => {
      const table = new ResultTable([...bases, ...everyRun('median', { 'S3 dirichlet:0.5 crash': 0.60 }), ...seed23('median', 'crash', 0.64)])
      const spread = table.seedSpread('S3', 'dirichlet:0.5')
      // Deviations from 0.62667: -0.02667, 0.01333, 0.01333; 2 degrees of freedom.
      assert.equal(spread?.settings, 1)
      assert.ok(Math.abs((spread?.sd ?? 0) - Math.sqrt(0.00106667 / 2)) < 1e-6)
      assert.equal(table.seedSpread('S2', 'dirichlet:0.5'), undefined)
      assert.match(seedSpreadSentence(table), /S2 f=3 Dir\(0\.5\) not measured; S3 f=5 IID not measured; S3 f=5 Dir\(0\.5\) 2\.31 \(1 settings\)/)
    })

    it('leaves the choice open while the leader\'s lead is within twice the standard error of the difference', () => {
      const ranked = rankedWith(0.66)
      assert.deepEqual(ranked.map(r => [r.rule, r.worstCases[0]?.seeds]), [['trimmed-mean', 1], ['median', 3]])
      const { lead, noise, seedsNeeded } = leadOverNoise(ranked[0] as (typeof ranked)[0], ranked[1] as (typeof ranked)[0])
      // -16 against -19.33 points; 2 * 2.31 * sqrt(1 + 1/3) = 5.33 points.
      assert.ok(Math.abs(100 * lead - 3.33) < 0.01 && Math.abs(100 * noise - 5.33) < 0.01)
      assert.equal(seedsNeeded, 4)
      assert.equal(choiceSentence(ranked, 'median'), 'Among the rules within the no-attack bar, trimmed-mean leads median by 3.33 points on the worst case that decides (S3 f=5 Dir(0.5); 1 seed(s) against 3), within the noise between seeds (twice the standard error of the difference: 5.33 points; seed-to-seed spread 2.31 points), so the choice is open: about 4 seeds each would separate them; the default ranks 2 of 2.')
    })

    it('settles the choice on a lead beyond the noise, and leaves it open while the spread is not measured', () => {
      assert.match(choiceSentence(rankedWith(0.75), 'median'), /trimmed-mean leads median by 12\.33 points .*, more than the noise between seeds \(twice the standard error of the difference: 5\.33 points\), and has faced all of its attacks, so it is the matrix's choice; the default ranks 2 of 2\.$/)
      const oneSeed = rankRules(new ResultTable([...bases, ...everyRun('trimmed-mean', { 'S3 dirichlet:0.5 crash': 0.75 }), ...everyRun('median', { 'S3 dirichlet:0.5 crash': 0.60 })]), ['median', 'trimmed-mean'])
      assert.match(choiceSentence(oneSeed, 'median'), /and the spread between seeds there is not measured yet, so the choice is open/)
    })
  })
})
