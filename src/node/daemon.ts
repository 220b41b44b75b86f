import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createAggregator } from '../aggregation/index.ts'
import type { Aggregator } from '../aggregation/index.ts'
import { ModelTrainer, parseDataSource, parsePartition } from '../model/index.ts'
import { networkId as computeNetworkId, parameterCount } from '../protocol/index.ts'
import type { NetworkManifest } from '../protocol/index.ts'
import { Adversary, parseAttack } from '../adversary/index.ts'
import { loadCheckpoint, saveCheckpoint } from './checkpoint.ts'
import { ConfigError, parseShard } from './config.ts'
import type { NodeConfig } from './config.ts'
import { dataDirPaths, readManifestFile } from './data-dir.ts'
import { loadIdentity } from './identity.ts'
import { bootstrapAddress, createMeshtrainLibp2p } from '../network/index.ts'
import { loadNetworkKey } from '../network/index.ts'
import { Libp2pRoundNetwork } from '../network/index.ts'
import type { Logger } from '../round/index.ts'
import { RoundLoop } from '../round/index.ts'
import type { RoundSummary } from '../round/index.ts'
import type { StatusOutput } from './status-output.ts'

/**
 * The network's rule, checked against the round quorum: a round closed at quorum must have
 * enough inputs (the node's own model plus `quorum` peers') for the rule's precondition.
 * @throws AggregationSpecError for an unknown rule or bad option; ConfigError for a short quorum.
 */
export function aggregatorFor (manifest: NetworkManifest): Aggregator {
  const aggregator = createAggregator(manifest.aggregation)
  if (1 + manifest.rounds.quorum < aggregator.minInputs) {
    throw new ConfigError('rounds.quorum', `manifest: rounds.quorum is ${manifest.rounds.quorum}, too small for aggregation.rule "${aggregator.name}" with f=${aggregator.f}: it needs at least ${aggregator.minInputs} inputs, so rounds.quorum >= ${aggregator.minInputs - 1}`)
  }
  return aggregator
}

/**
 * Run a node until `config.rounds` are done or `signal` aborts: load identity, manifest and
 * checkpoint, start the trainer and libp2p, run the round loop, stop everything in reverse order.
 */
export async function runDaemon (config: NodeConfig, output: StatusOutput, log: Logger, signal: AbortSignal): Promise<void> {
  if (config.dataDir === '') throw new ConfigError('dataDir', '--data-dir is required')
  const paths = dataDirPaths(config.dataDir)
  const manifest = await readManifestFile(paths.manifest)
  const aggregator = aggregatorFor(manifest)
  const adversary = config.attack === 'none'
    ? undefined
    : new Adversary({ attack: parseAttack(config.attack), colluders: config.colluders, seed: config.dataSeed }, { aggregator })
  const privateKey = await loadIdentity(config.dataDir)
  const peerId = peerIdFromPrivateKey(privateKey).toString()
  const networkKey = await loadNetworkKey(config.dataDir)
  if (manifest.members.length > 0 && !manifest.members.includes(peerId)) {
    throw new ConfigError('members', `this node (${peerId}) is not in the manifest's members list: the other members would refuse it`)
  }
  const id = computeNetworkId(manifest)
  const parameters = parameterCount(manifest.model)
  const shard = parseShard(config.shard)
  if (shard === undefined) throw new ConfigError('shard', `--shard: got ${JSON.stringify(config.shard)}`)
  const checkpoint = await loadCheckpoint(paths.checkpoints, id, parameters)

  const trainer = await ModelTrainer.start({
    model: manifest.model,
    training: manifest.training,
    data: parseDataSource(config.data),
    shard,
    partition: parsePartition(config.partition),
    seed: config.dataSeed,
    backend: config.backend,
    labelMap: adversary?.labelMap ?? 'identity'
  })
  const libp2p = await createMeshtrainLibp2p({
    privateKey,
    listen: [...config.listen],
    bootstrap: [...config.bootstrap],
    mdns: config.mdns,
    networkId: id,
    maxPayloadBytes: parameters * 4,
    members: manifest.members,
    log,
    ...(networkKey === undefined ? {} : { networkKey })
  })
  if (networkKey !== undefined || manifest.members.length > 0) {
    log.info(`closed network: ${networkKey === undefined ? 'no network key' : `network key fingerprint ${networkKey.fingerprint}`}, ${manifest.members.length === 0 ? 'any peer with the key' : `${manifest.members.length} members`}`)
  }
  try {
    await libp2p.start()
    const network = new Libp2pRoundNetwork({ libp2p, networkId: id, maxPayloadBytes: parameters * 4, log, members: manifest.members })
    await network.start()
    output.ready({
      peerId,
      networkId: id,
      addresses: libp2p.getMultiaddrs().map(a => a.toString()),
      bootstrapAddress: bootstrapAddress(libp2p) ?? '(not listening)',
      backend: trainer.backend,
      rule: aggregator.name,
      parameters,
      resumedFromRound: checkpoint?.round
    })
    if (adversary !== undefined) log.warn(`this node is a Byzantine attacker: --attack ${config.attack} (for testing only)`)
    const loop = new RoundLoop({
      manifest,
      networkId: id,
      privateKey,
      peerId,
      parameterCount: parameters,
      datasetFingerprint: trainer.datasetFingerprint,
      startRound: checkpoint === undefined ? 0 : checkpoint.round + 1,
      startWeights: checkpoint?.weights ?? trainer.initialWeights(),
      ...(config.rounds > 0 ? { rounds: config.rounds } : {})
    }, {
      network,
      trainer: {
        train: async weights => trainer.train(weights),
        evaluateHoldout: async weights => trainer.evaluate(weights, 'holdout')
      },
      aggregator,
      log,
      ...(adversary === undefined ? {} : { adversary }),
      onRound: async (summary: RoundSummary) => {
        await saveCheckpoint(paths.checkpoints, { networkId: id, round: summary.round, weights: summary.weights })
        output.round(summary)
        // With --expose-gc (diagnostics, tests), report retained memory rather than garbage.
        ;(globalThis as { gc?: () => void }).gc?.()
        const memory = process.memoryUsage()
        output.network({ ...network.stats(), memory: { heapUsedBytes: memory.heapUsed, rssBytes: memory.rss, externalBytes: memory.external } })
      }
    })
    await loop.run(signal)
    if (!signal.aborted) {
      output.finished(config.rounds)
      // Peers a little behind may still fetch this node's last model: serve it for one round deadline.
      await lingerFor(manifest.rounds.deadlineMs, signal)
    }
    await network.stop()
  } finally {
    await libp2p.stop()
    await trainer.close()
  }
}

function lingerFor (ms: number, signal: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
    function done (): void {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
  })
}
