import { createAggregator } from '../aggregation/index.ts'
import type { Aggregator } from '../aggregation/index.ts'
import { ConfigError } from '../errors/index.ts'
import { ManifestError } from '../protocol/index.ts'
import type { NetworkManifest } from '../protocol/index.ts'

/**
 * Refuse a manifest whose rule needs more inputs than a node can ever aggregate: a closed network
 * with fewer members than the rule's `minInputs` (the node's own model counts as one input), or a
 * peer sample (`rounds.fanout`) too small for it. Such a network would keep every node's own model
 * every round, forever.
 * @throws ManifestError naming the setting and the numbers.
 */
export function checkReachable (manifest: NetworkManifest, aggregator: Pick<Aggregator, 'name' | 'f' | 'minInputs'>): void {
  const rule = `aggregation.rule "${aggregator.name}" with f=${aggregator.f} needs ${aggregator.minInputs} inputs (the node's own model included)`
  const members = manifest.members.length
  if (members > 0 && members < aggregator.minInputs) {
    throw new ManifestError('members', `${members} members, but ${rule}: no node could ever aggregate; add members or lower f (a trimmed mean's b)`)
  }
  const fanout = manifest.rounds.fanout ?? 0
  if (fanout > 0 && fanout + 1 < aggregator.minInputs) {
    throw new ManifestError('rounds.fanout', `${fanout} sampled peers give ${fanout + 1} inputs, but ${rule}: set rounds.fanout >= ${aggregator.minInputs - 1}`)
  }
}

/**
 * The network's rule, checked against what the manifest can reach: a round closed at quorum must
 * have enough inputs (the node's own model plus `quorum` peers') for the rule's precondition, and
 * so must the members list and the peer sample ({@link checkReachable}). Run by init, start, swarm,
 * `manifest propose` and on every manifest version before it is adopted.
 * @throws AggregationSpecError for an unknown rule or bad option; ConfigError for a short quorum;
 * ManifestError for too few members or too small a sample.
 */
export function aggregatorFor (manifest: NetworkManifest): Aggregator {
  const aggregator = createAggregator(manifest.aggregation)
  if (1 + manifest.rounds.quorum < aggregator.minInputs) {
    throw new ConfigError('rounds.quorum', `manifest: rounds.quorum is ${manifest.rounds.quorum}, too small for aggregation.rule "${aggregator.name}" with f=${aggregator.f}: it needs at least ${aggregator.minInputs} inputs, so rounds.quorum >= ${aggregator.minInputs - 1}`)
  }
  checkReachable(manifest, aggregator)
  return aggregator
}
