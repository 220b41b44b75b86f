import { readFile } from 'node:fs/promises'
import { formatApiAddress, isLoopbackHost, readApiToken } from '../api-endpoint/index.ts'
import type { ApiAddress } from '../api-endpoint/index.ts'
import { ApiServer, MeshtrainMetrics, dashboardPages, NodeState, ObservedRoundNetwork, gossipsubMetricsRegister, libp2pMetrics, libp2pPeerViews } from '../api/index.ts'
import type { NodePhase } from '../api/index.ts'
import { ConfigError } from '../errors/index.ts'
import type { Libp2pRoundNetwork, MeshtrainLibp2p, MeshtrainLibp2pInit } from '../network/index.ts'
import type { LocalTrainer, RoundSummary } from '../round/index.ts'
import type { NodeConfig } from './config.ts'
import type { ReadyInfo } from './status-output.ts'
import type { PrivacyStatus } from './node-privacy.ts'

/**
 * The daemon's side of the operator's surface: the NodeState it publishes, the metrics, and the
 * HTTP API that reads them. With `--no-api` it still keeps the state (cheap) but serves nothing
 * and collects no metrics.
 */
export class OperatorSurface {
  readonly state = new NodeState()
  readonly metrics: MeshtrainMetrics | undefined
  readonly #address: ApiAddress | undefined
  readonly #token: string | undefined
  readonly #dataDir: string
  #server: ApiServer | undefined
  #detach: (() => void) | undefined
  #network: Libp2pRoundNetwork | undefined
  #libp2p: MeshtrainLibp2p | undefined

  private constructor (config: NodeConfig, token: string | undefined) {
    this.#address = config.api
    this.#token = token
    this.#dataDir = config.dataDir
    this.metrics = config.api === undefined ? undefined : new MeshtrainMetrics(() => this.#networkCounters())
  }

  /**
   * Check the API settings before anything starts: an address other than loopback needs the token
   * in `<data-dir>/api-token`.
   * @throws ConfigError `api` when the token is missing, readable by others or malformed.
   */
  static async create (config: NodeConfig): Promise<OperatorSurface> {
    const address = config.api
    if (address === undefined || isLoopbackHost(address.host)) return new OperatorSurface(config, undefined)
    const token = await readApiToken(config.dataDir)
    if (token === undefined) {
      throw new ConfigError('api', `--api ${formatApiAddress(address)} is not a loopback address: it needs a bearer token in ${config.dataDir}/api-token (create it with: meshtrain api-token --data-dir ${config.dataDir}), or bind to 127.0.0.1`)
    }
    return new OperatorSurface(config, token)
  }

  /** libp2p's metrics option: its own and gossipsub's metrics on the API's registry. */
  libp2pMetrics (): Pick<MeshtrainLibp2pInit, 'metrics' | 'gossipsubMetrics'> {
    if (this.metrics === undefined) return {}
    return { metrics: libp2pMetrics(this.metrics.registry), gossipsubMetrics: gossipsubMetricsRegister(this.metrics.registry) }
  }

  /** The round network as the round loop should see it: observed per peer, fetches timed. */
  observe (network: Libp2pRoundNetwork): ObservedRoundNetwork {
    return new ObservedRoundNetwork(network, fetch => this.metrics?.observeFetch(fetch))
  }

  /**
   * Publish the node's identity, follow its peers, and start the API (which writes its address
   * to `<data-dir>/api`).
   * @throws RuntimeFailure `api-listen-failed` when the address cannot be bound.
   */
  async start (
    libp2p: MeshtrainLibp2p, network: Libp2pRoundNetwork, observed: ObservedRoundNetwork,
    info: Pick<ReadyInfo, 'peerId' | 'networkId' | 'backend' | 'rule' | 'parameters' | 'addresses'>, privacy?: () => PrivacyStatus
  ): Promise<void> {
    this.#libp2p = libp2p
    this.#network = network
    this.state.setInfo({
      peerId: info.peerId, networkId: info.networkId, version: await meshtrainVersion(), backend: info.backend, rule: info.rule,
      parameters: info.parameters, addresses: info.addresses
    })
    this.state.setPeerCount(() => libp2p.getPeers().length)
    const connected = (evt: CustomEvent<{ toString: () => string }>): void => { this.state.recordPeerEvent(evt.detail.toString(), 'connected') }
    const disconnected = (evt: CustomEvent<{ toString: () => string }>): void => { this.state.recordPeerEvent(evt.detail.toString(), 'disconnected') }
    libp2p.addEventListener('peer:connect', connected)
    libp2p.addEventListener('peer:disconnect', disconnected)
    this.#detach = () => {
      libp2p.removeEventListener('peer:connect', connected)
      libp2p.removeEventListener('peer:disconnect', disconnected)
    }
    if (this.#address === undefined) return
    this.#server = new ApiServer(
      { address: this.#address, token: this.#token, dataDir: this.#dataDir, ...(privacy === undefined ? {} : { privacy }) },
      { state: this.state, metrics: this.metrics, peers: () => libp2pPeerViews(libp2p, network, observed), pages: await dashboardPages() }
    )
    await this.#server.start()
  }

  /** The API's address once it listens. */
  get apiAddress (): ApiAddress | undefined { return this.#server?.address }

  /** The trainer, with its phases published and timed. */
  timedTrainer (trainer: LocalTrainer): LocalTrainer & { readonly timing: { trainingMs: number, evaluationMs: number } } {
    const timing = { trainingMs: 0, evaluationMs: 0 }
    const phase = (p: NodePhase): void => { this.state.setPhase(p) }
    return {
      timing,
      train: async (weights, round) => {
        phase('training')
        const started = performance.now()
        try {
          return await trainer.train(weights, round)
        } finally {
          timing.trainingMs = performance.now() - started
          phase('waiting')
        }
      },
      evaluateHoldout: async weights => {
        phase('evaluating')
        const started = performance.now()
        try {
          return await trainer.evaluateHoldout(weights)
        } finally {
          timing.evaluationMs = performance.now() - started
          phase('training')
        }
      }
    }
  }

  /** Publish a finished round: its record, its metrics, its event. */
  recordRound (summary: RoundSummary, timing: { readonly trainingMs: number, readonly evaluationMs: number }): void {
    const record = this.state.recordRound(summary, timing)
    this.metrics?.observeRound(record)
  }

  /** Stop the API and stop following peers. Idempotent. */
  async stop (): Promise<void> {
    this.state.setPhase('stopping')
    this.#detach?.()
    this.#detach = undefined
    await this.#server?.stop()
    this.#server = undefined
  }

  #networkCounters (): ReturnType<ConstructorParameters<typeof MeshtrainMetrics>[0]> {
    const stats = this.#network?.stats()
    return {
      announcements: stats?.announcements ?? {},
      modelRequests: stats?.transferRequests ?? {},
      peersConnected: this.#libp2p?.getPeers().length ?? 0,
      peersGraylisted: stats?.graylisted.length ?? 0
    }
  }
}

/** The version in meshtrain's package.json. */
async function meshtrainVersion (): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown }
  return typeof pkg.version === 'string' ? pkg.version : 'unknown'
}
