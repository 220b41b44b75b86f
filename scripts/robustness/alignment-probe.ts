/**
 * `node scripts/robustness/alignment-probe.ts SCENARIO_JSON [--node I] [--against own|aggregate|median] [--ceiling C] [--json]`: runs one
 * robustness scenario (simulate.ts; e.g. `'{"group":"S2","rule":"trimmed-mean+nnm",
 * "attack":"undo-progress","byzantine":3,"partition":"dirichlet:0.5","fanout":0,"seed":1,
 * "rounds":60}'`) and prints, for one honest node (0 unless --node), how each peer's update lines
 * up with the node's own: the cosine between the peer's model and the node's trained model (with
 * `--against aggregate`: the node's aggregate of the round; `--against median`: the coordinate-wise
 * median of the node's inputs, its own model and its peers'), both less the model the round started
 * from. Per peer: the mean over the rounds, the lowest round, the share of rounds above C
 * (--ceiling, default 1) and the lowest moving average (decay 0.9, from round 10 on), each round
 * counted at most C as `alignmentCeiling` counts it; attackers are marked. It measures what a
 * rule that remembers its peers' alignment would have to separate (README, Robustness).
 */
import { parseArgs } from 'node:util'
import { coordinateMedian } from '../../src/aggregation/index.ts'
import { updateCosine } from '../../src/round/index.ts'
import type { RoundSummary } from '../../src/round/index.ts'
import { runScenario } from './simulate.ts'
import type { Scenario } from './scenarios.ts'

const DECAY = 0.9
const FIRST_AVERAGED_ROUND = 10

const { values: flags, positionals } = parseArgs({ allowPositionals: true, options: { node: { type: 'string', default: '0' }, against: { type: 'string', default: 'own' }, ceiling: { type: 'string', default: '1' }, json: { type: 'boolean' } } })
const node = Number(flags.node)
const against = flags.against
const ceiling = Number(flags.ceiling)
if (positionals.length !== 1 || !Number.isInteger(node) || node < 0 || !['own', 'aggregate', 'median'].includes(against) || !(ceiling >= -1 && ceiling <= 1)) {
  console.error('usage: node scripts/robustness/alignment-probe.ts SCENARIO_JSON [--node I] [--against own|aggregate|median] [--ceiling C, from -1 to 1] [--json]')
  process.exit(2)
}
const scenario = JSON.parse(positionals[0] as string) as Scenario

interface PeerAlignment { readonly peer: string, readonly attacker: boolean, readonly cosines: number[] }
const peers = new Map<string, PeerAlignment>()

function observe (index: number, summary: RoundSummary, colluders: readonly string[]): void {
  if (index !== node) return
  const { start, trained, peerInputs } = summary.trace
  const received = peerInputs.flatMap(input => input.weights === undefined ? [] : [input.weights])
  const reference = against === 'own' ? trained : against === 'aggregate' ? summary.weights : coordinateMedian([trained, ...received])
  for (const input of peerInputs) {
    if (input.weights === undefined) continue
    const peer = input.announcement.peerId
    const row = peers.get(peer) ?? { peer, attacker: colluders.includes(peer), cosines: [] }
    row.cosines.push(updateCosine(input.weights, reference, start))
    peers.set(peer, row)
  }
}

const result = await runScenario(scenario, 'alignment-probe', undefined, observe)
const rows = [...peers.values()].map(({ peer, attacker, cosines }) => {
  const counted = cosines.map(c => Math.min(ceiling, c))
  let average = counted[0] ?? NaN
  let lowestAverage = Infinity
  for (const [round, c] of counted.entries()) {
    if (round > 0) average = DECAY * average + (1 - DECAY) * c
    if (round >= FIRST_AVERAGED_ROUND) lowestAverage = Math.min(lowestAverage, average)
  }
  const aboveCeiling = cosines.filter(c => c > ceiling).length / cosines.length
  return { peer, attacker, rounds: cosines.length, mean: cosines.reduce((a, b) => a + b, 0) / cosines.length, lowest: Math.min(...cosines), aboveCeiling, lowestAverage }
}).sort((a, b) => a.mean - b.mean)

if (flags.json === true) {
  console.log(JSON.stringify({ scenario, node, against, ceiling, worstAccuracy: result.worstAccuracy, peers: rows }))
} else {
  console.log(`${JSON.stringify(scenario)}: node ${node}'s peers, cosine of their update with ${against === 'own' ? 'its own' : against === 'aggregate' ? 'its aggregate\'s' : 'its inputs\' coordinate-wise median\'s'} (worst honest accuracy ${result.worstAccuracy})`)
  for (const r of rows) {
    const above = ceiling < 1 ? `  rounds above ${ceiling} ${(100 * r.aboveCeiling).toFixed(1)} %` : ''
    console.log(`  ${r.attacker ? 'attacker' : 'honest  '} ${r.peer.slice(-8)}  mean ${r.mean.toFixed(3)}  lowest round ${r.lowest.toFixed(3)}${above}  lowest moving average ${r.lowestAverage.toFixed(3)}  (${r.rounds} rounds)`)
  }
}
