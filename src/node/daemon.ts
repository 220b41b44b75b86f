import { setTimeout as delay } from 'node:timers/promises'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { RuntimeFailure, ConfigError } from '../errors/index.ts'
import { ModelTrainer, roundBatchSeed } from '../model/index.ts'
import { encodedPayloadBytes, modelEncoding, networkId as computeNetworkId, parameterCount } from '../protocol/index.ts'
import { Adversary } from '../adversary/index.ts'
import { AnnouncementJournal } from './announcement-journal.ts'
import { loadCheckpoint, saveCheckpointOrWarn } from './checkpoint.ts'
import type { NodeConfig } from './config.ts'
import { dataDirPaths, readManifestFile } from './data-dir.ts'
import { loadIdentity } from './identity.ts'
import { Libp2pRoundNetwork, bootstrapAddress, createMeshtrainLibp2p, loadNetworkKey } from '../network/index.ts'
import { RoundLoop, componentLogger, roundQuorum, startWaitOver } from '../round/index.ts'
import { formatApiAddress } from '../api-endpoint/index.ts'
import { OperatorSurface } from './operator-surface.ts'
import type { Logger, RoundSummary } from '../round/index.ts'
import type { StatusOutput } from './status-output.ts'
import { aggregatorFor } from './preconditions.ts'
import { KeptOwnStreak, stallText } from './kept-own-streak.ts'
import { RoundRecorder } from './round-recorder.ts'
import { trainerOptionsOf } from './reproduce-training.ts'
import { answerLedgerRequest } from '../ledger/index.ts'
import { loadManifestChain } from './manifest-chain.ts'
import { followChain, governanceOf } from './follow-chain.ts'
import { spreadVersions } from './version-spread.ts'
import { connectedPeers, loadKnownPeers, saveKnownPeers } from './known-peers.ts'
import { NodePrivacy } from './node-privacy.ts'
import { loadPeerAlignmentState, savePeerAlignmentState } from './peer-alignment-file.ts'
import { GROWTH_CHECK_INTERVAL_MS, GarbageCollector } from './collect-garbage.ts'

/**
 * Run a node until `config.rounds` are done or `signal` aborts: load identity, manifest and
 * checkpoint, start the trainer and libp2p, run the round loop, stop everything in reverse order.
 */
export async function runDaemon (config: NodeConfig, output: StatusOutput, operatorLog: Logger, signal: AbortSignal): Promise<void> {
  const log = componentLogger(operatorLog, 'node')
  if (config.dataDir === '') throw new ConfigError('dataDir', '--data-dir is required')
  const paths = dataDirPaths(config.dataDir)
  const genesis = await readManifestFile(paths.manifest)
  // The node runs under the latest adopted manifest version; the network id stays the genesis's.
  let chain = await loadManifestChain(config.dataDir, genesis)
  const manifest = chain.current.manifest
  const aggregator = aggregatorFor(manifest)
  const adversary = config.attack === undefined
    ? undefined
    : new Adversary({ attack: config.attack, colluders: config.colluders, seed: config.dataSeed }, { aggregator })
  const privateKey = await loadIdentity(config.dataDir)
  const peerId = peerIdFromPrivateKey(privateKey).toString()
  const networkKey = await loadNetworkKey(config.dataDir)
  if (manifest.members.length > 0 && !manifest.members.includes(peerId)) {
    throw new ConfigError('members', `this node (${peerId}) is not in the manifest's members list: the other members would refuse it`)
  }
  const id = computeNetworkId(genesis)
  // Read live by the gater and the round network; followChain changes it.
  const members = new Set(manifest.members)
  const parameters = parameterCount(manifest.model)
  const checkpoint = await loadCheckpoint(paths.checkpoints, id, parameters)
  if ((checkpoint?.manifestVersion ?? 0) > chain.current.version) {
    log.warn(`the checkpoint was trained under manifest version ${checkpoint?.manifestVersion}, but this data directory holds versions up to ${chain.current.version}: the node takes the missing ones from its peers`)
  }
  // What this node announced before a restart: announced again unchanged, never a second model.
  const journal = await AnnouncementJournal.open(paths.checkpoints, id, parameters, log)
  // What the peer-alignment memory learnt before a restart (used while the rule has one).
  const alignmentState = await loadPeerAlignmentState(config.dataDir, log)
  const surface = await OperatorSurface.create(config)

  const trainerOptions = trainerOptionsOf(config, manifest, adversary?.labelMap)
  const trainer = await ModelTrainer.start(trainerOptions, { signal })
  let privacy: NodePrivacy | undefined
  try {
    // Under a private manifest: the plan for this node's data, and the budget it has spent (docs/design.md, "Differential privacy").
    privacy = await NodePrivacy.open(config.dataDir, manifest, trainer.shardSize.train, checkpoint !== undefined)
  } catch (err) {
    await trainer.close()
    throw err
  }
  const libp2p = await createMeshtrainLibp2p({
    privateKey,
    listen: config.listen.map(String),
    // With the peers met before (<data-dir>/peers.json): a node whose bootstrap peers are gone reconnects through them.
    bootstrap: [...new Set([...config.bootstrap.map(String), ...await loadKnownPeers(config.dataDir, peer => members.size === 0 || members.has(peer))])],
    mdns: config.mdns,
    targetPeers: config.targetPeers,
    networkId: id,
    maxPayloadBytes: encodedPayloadBytes(modelEncoding(manifest.model), parameters),
    members,
    log: componentLogger(log, 'network'),
    ...surface.libp2pMetrics(),
    ...(networkKey === undefined ? {} : { networkKey })
  })
  if (networkKey !== undefined || manifest.members.length > 0) {
    log.info(`closed network: ${networkKey === undefined ? 'no network key' : `network key fingerprint ${networkKey.fingerprint}`}, ${manifest.members.length === 0 ? 'any peer with the key' : `${manifest.members.length} members`}`)
  }
  let recorder: RoundRecorder | undefined
  /** The last round's ledger commit and model checkpoint, written while the next round trains. */
  let persisted: Promise<void> = Promise.resolve()
  /** Collects garbage between rounds when the resident set grows (collect-garbage.ts). */
  let growthCheck: ReturnType<typeof setInterval> | undefined
  try {
    await startListening(libp2p, config.listen.map(String))
    const network = new Libp2pRoundNetwork({ libp2p, networkId: id, log: componentLogger(log, 'network'), members })
    await network.start()
    // Serve this node's manifest versions to peers and take theirs (they land in <data-dir>/manifests/).
    libp2p.services.networkSync.serveVersions(spreadVersions(config.dataDir, genesis, () => chain, log))
    output.ready({
      peerId,
      networkId: id,
      addresses: libp2p.getMultiaddrs().map(a => a.toString()),
      bootstrapAddress: bootstrapAddress(libp2p) ?? '(not listening)',
      backend: trainer.backend,
      rule: aggregator.name,
      parameters,
      resumedFromRound: checkpoint?.round,
      manifestVersion: chain.current.version
    })
    // What the node trains on: rows trained, held out and in the common test part, and the scaling.
    log.info(trainer.dataSummary)
    const observed = surface.observe(network)
    await surface.start(
      libp2p, network, observed, { peerId, networkId: id, addresses: libp2p.getMultiaddrs().map(a => a.toString()), backend: trainer.backend, rule: aggregator.name, parameters },
      privacy === undefined ? undefined : () => privacy.status()
    )
    if (privacy !== undefined) output.privacy(privacy.status())
    if (surface.apiAddress !== undefined) log.info(`API, metrics and dashboard on http://${formatApiAddress(surface.apiAddress)}/`)
    if (adversary !== undefined) log.warn(`this node is a Byzantine attacker: --attack ${config.attack?.name} (for testing only)`)
    if (config.minRoundMs > 0 && config.minRoundMs >= manifest.rounds.deadlineMs) {
      log.warn(`--min-round-ms ${config.minRoundMs} is not below the round deadline (${manifest.rounds.deadlineMs} ms): a node a little ahead of its peers closes every round before their models arrive`)
    }
    const localTrainer = surface.timedTrainer({
      // The signal cuts a long training step short: the stop closes the trainer, which ends its worker.
      // A private node spends and saves its steps before it trains (NodePrivacy.train).
      // Each round's batches come from a seed of the round alone, recorded in the ledger, so
      // `meshtrain ledger reproduce` can re-run the round's training (DP-SGD draws from the CSPRNG).
      train: async (weights: Float32Array, round?: number) => privacy === undefined
        ? trainer.train(weights, undefined, { signal, ...(round === undefined ? {} : { batchSeed: roundBatchSeed(trainerOptions, round) }) })
        : privacy.train(trainer, weights, { signal }),
      evaluateHoldout: async (weights: Float32Array) => trainer.evaluate(weights, 'holdout', { signal })
    })
    const streak = new KeptOwnStreak(aggregator.name)
    // Ends the round loop once a private node's budget is spent under onBudgetExhausted "stop".
    const budgetSpent = new AbortController()
    recorder = await RoundRecorder.open({
      dataDir: config.dataDir, privateKey, manifest, networkId: id, datasetFingerprint: trainer.datasetFingerprint,
      examples: trainer.shardSize, backend: trainer.backend, batchSeed: round => roundBatchSeed(trainerOptions, round), keepInputRounds: config.ledgerKeepInputs, log,
      ...(privacy === undefined ? {} : { privacy: () => privacy.account() }),
      askConsistency: async (peer, from, to) => {
        const answer = await libp2p.services.ledgerExchange.ask(peerIdFromString(peer), { get: 'consistency', from, to }, { signal })
        return 'proof' in answer ? answer.proof : undefined
      }
    })
    const ledger = recorder
    // Answer peers' questions about this node's log: checkpoints, proofs, entries (docs/wire.md §10.6).
    libp2p.services.ledgerExchange.serveLedger(request => answerLedgerRequest(ledger.ledger, request))
    const garbage = new GarbageCollector()
    growthCheck = setInterval(() => { garbage.onGrowth() }, GROWTH_CHECK_INTERVAL_MS)
    growthCheck.unref()
    const loop = new RoundLoop({
      manifest,
      networkId: id,
      privateKey,
      peerId,
      parameterCount: parameters,
      datasetFingerprint: trainer.datasetFingerprint,
      startRound: checkpoint === undefined ? 0 : checkpoint.round + 1,
      startWeights: checkpoint?.weights ?? trainer.initialWeights(),
      alignmentState,
      ...(config.rounds > 0 ? { rounds: config.rounds } : {}),
      ...(config.minRoundMs > 0 ? { minRoundMs: config.minRoundMs } : {})
    }, {
      // An attacker runs the honest loop; the attack wraps what it announces (and how it trains).
      network: journal.wrapNetwork(adversary?.wrapNetwork(observed, { manifest, privateKey, parameterCount: parameters, log }) ?? observed),
      trainer: journal.wrapTrainer(adversary?.wrapTrainer(localTrainer, manifest) ?? localTrainer),
      aggregator,
      // Rule and round timing follow adopted manifest versions from their fromRound.
      governance: governanceOf(() => chain),
      log: componentLogger(log, 'round'),
      ledgerHead: () => ledger.head(),
      ...(privacy === undefined ? {} : { privacy: () => privacy.announced() }),
      onCatchUp: async trace => { await ledger.recordCatchUp(trace) },
      onRound: async (summary: RoundSummary) => {
        // The ledger's time on the round's critical path: the wait for the last round's commit and
        // model checkpoint (a failure of either surfaces here), and recording this round.
        const ledgerStarted = performance.now()
        await persisted
        const forked = await ledger.record(summary)
        const ledgerMs = performance.now() - ledgerStarted
        // A peer found with a forked ledger is charged as an equivocator.
        for (const peer of forked) observed.penalise(peer, 'equivocation')
        // The model checkpoint names the round only once the ledger holds it durably (docs/design.md,
        // node state); both go to disk while the next round trains.
        const checkpointed = { networkId: id, round: summary.round, weights: summary.weights, manifestVersion: chain.current.version }
        const alignment = summary.alignment
        persisted = ledger.durable().then(async () => {
          await saveCheckpointOrWarn(paths.checkpoints, checkpointed, log)
          if (alignment !== undefined) await savePeerAlignmentState(config.dataDir, alignment, log)
        })
        persisted.catch(() => undefined)
        // The status line and the API tell of the round at once (the API answered the last one until
        // the manifest chain and the known peers below were done).
        observed.recordLeftOut(summary.trace.peerInputs.filter(input => input.verdict === 'misaligned').map(input => input.announcement.peerId))
        output.round(summary, ledgerMs)
        surface.recordRound(summary, localTrainer.timing)
        if (privacy !== undefined) {
          output.privacy(privacy.status())
          if (stopsForBudget(privacy)) budgetSpent.abort()
        }
        const before = chain
        chain = await followChain(config.dataDir, genesis, chain, { peerId, members, log, hangUp: async peer => libp2p.hangUp(peerIdFromString(peer)) })
        // A version just adopted: every peer hears of it now (peers behind ask for it back).
        if (chain !== before) libp2p.services.networkSync.syncWithEveryPeer()
        await saveKnownPeers(config.dataDir, await connectedPeers(libp2p)).catch((err: unknown) => { log.warn(`saving known peers failed: ${String(err)}`) })
        const stall = streak.observe(summary)
        if (stall !== undefined) {
          log.warn(stallText(stall))
          output.stalled(stall)
        }
        // The rounds' dead models go now (collect-garbage.ts); the memory reported is what is retained.
        garbage.afterRound()
        const memory = process.memoryUsage()
        output.network({ ...network.stats(), memory: { heapUsedBytes: memory.heapUsed, rssBytes: memory.rss, externalBytes: memory.external } })
      }
    })
    if (config.waitForPeers > 0 && checkpoint === undefined) {
      await waitForPeers(network, { wanted: config.waitForPeers, quorum: roundQuorum(manifest.rounds.quorum, manifest.rounds.fanout), announcing: () => loop.announcers }, log, signal)
    }
    if (!stopsForBudget(privacy)) await loop.run(AbortSignal.any([signal, budgetSpent.signal]))
    if (stopsForBudget(privacy)) {
      log.info(`privacy budget spent (epsilon ${privacy?.status().epsilonSpent} of ${privacy?.plan.epsilonBudget}): the node trains no more and stops (privacy.onBudgetExhausted: stop)`)
    }
    if (!signal.aborted) {
      if (!stopsForBudget(privacy)) output.finished(config.rounds)
      // Peers a little behind may still fetch this node's last model: serve it for one round deadline.
      // A stop signal cuts the wait short; that rejection is the only one setTimeout makes.
      await delay(manifest.rounds.deadlineMs, undefined, { signal }).catch(() => undefined)
    }
    await network.stop()
  } finally {
    clearInterval(growthCheck)
    libp2p.services.ledgerExchange.serveLedger(undefined)
    await persisted.catch((err: unknown) => { log.warn(`the last round's ledger commit or model checkpoint failed: ${(err as Error).message}`) })
    await recorder?.close()
    await surface.stop()
    await libp2p.stop()
    await trainer.close()
  }
}

/** Whether a private node's budget is spent and its manifest says to stop then. */
function stopsForBudget (privacy: NodePrivacy | undefined): boolean {
  return privacy !== undefined && privacy.exhausted && privacy.plan.onBudgetExhausted === 'stop'
}

/**
 * Start libp2p; a listen address that cannot be bound (in use, not on this host) is a runtime
 * failure named with the address, not a stack trace.
 * @throws RuntimeFailure `listen-failed`.
 */
async function startListening (libp2p: { start: () => unknown }, listen: readonly string[]): Promise<void> {
  try {
    await libp2p.start()
  } catch (err) {
    // libp2p wraps the socket errors of every address in one message: name the cause.
    const text = err instanceof Error ? err.message : String(err)
    const why = text.includes('EADDRINUSE')
      ? 'address already in use'
      : text.includes('EADDRNOTAVAIL') ? 'address not available on this host' : text.includes('EACCES') ? 'permission denied' : text.split('\n')[0]
    throw new RuntimeFailure('listen-failed', `cannot listen on ${listen.join(', ')}: ${why}`, { cause: err })
  }
}

/** How often a node waiting for its first peers looks at the topic, ms. */
const PEER_WAIT_POLL_MS = 200

/**
 * Before the first round: wait until a peer announces a model, or `wanted` peers have been seen,
 * or a round's quorum of them and no new one for a while (round-scale.ts, startWaitOver), or the
 * signal aborts; saying so every 10 s. Daemons started one after another then begin their rounds
 * together. A peer counts as seen once it is connected on the topic or a peer's network sync
 * names it: a node keeps connections to only some of its peers (peer-degree.ts).
 */
async function waitForPeers (
  network: { topicPeers: () => string[], learnedPeers: () => string[] }, target: { wanted: number, quorum: number, announcing: () => number }, log: Logger, signal: AbortSignal
): Promise<void> {
  const startedAt = Date.now()
  const seen = new Set<string>()
  let newPeerAt = startedAt
  let longestGapMs = 0
  let saidAt = startedAt
  for (;;) {
    const connected = network.topicPeers()
    for (const peer of [...connected, ...network.learnedPeers()]) {
      if (seen.has(peer)) continue
      seen.add(peer)
      longestGapMs = Math.max(longestGapMs, Date.now() - newPeerAt)
      newPeerAt = Date.now()
    }
    const now = Date.now()
    const wait = { seen: seen.size, wanted: target.wanted, quorum: target.quorum, sinceNewPeerMs: now - newPeerAt, longestGapMs, announcing: target.announcing() }
    if (signal.aborted || startWaitOver(wait)) {
      if (seen.size < target.wanted && !signal.aborted) {
        const why = wait.announcing > 0 ? `${wait.announcing} peers already announce models` : `no new peer for ${Math.round(wait.sinceNewPeerMs / 1000)} s`
        log.info(`starting the first round with ${seen.size} of ${target.wanted} peers seen (${connected.length} connected on the topic): ${why}`)
      }
      return
    }
    if (now - saidAt >= 10_000) {
      saidAt = now
      log.info(`waiting for peers before the first round: ${seen.size} of ${target.wanted} seen (${connected.length} connected on the topic) after ${Math.round((now - startedAt) / 1000)} s`)
    }
    await delay(PEER_WAIT_POLL_MS, undefined, { signal }).catch(() => undefined)
  }
}
