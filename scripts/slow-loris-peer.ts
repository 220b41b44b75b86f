/**
 * A slow-loris peer on the model-transfer protocol: a real libp2p node that opens many model
 * streams to each target and trickles its 33-byte request a byte at a time, so that each stream
 * holds a serving slot as long as the target lets it. It never joins the update topic. Used by
 * test/e2e/slow-loris.test.ts.
 */
import { setTimeout as delay } from 'node:timers/promises'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { modelProtocol } from '../src/protocol/index.ts'
import { createMeshtrainLibp2p } from '../src/network/index.ts'
import type { MeshtrainLibp2p } from '../src/network/index.ts'
import type { Stream } from '@libp2p/interface'

export interface SlowLorisInit {
  /** Multiaddrs of the nodes to attack, each ending in /p2p/<peer-id>. */
  readonly targets: readonly string[]
  readonly networkId: string
  /** Streams kept open to each target. @default 64 */
  readonly streamsPerTarget?: number
  /** Between two trickled bytes, ms. @default 400 */
  readonly trickleMs?: number
}

export interface SlowLorisReport {
  /** Streams opened, over all targets and attempts. */
  readonly opened: number
  /** Stream opens or dials that failed (refused, reset, banned). */
  readonly refused: number
}

export class SlowLorisPeer {
  readonly node: MeshtrainLibp2p
  readonly #init: Required<SlowLorisInit>
  readonly #run = new AbortController()
  #opened = 0
  #refused = 0
  #loops: Array<Promise<void>> = []

  private constructor (node: MeshtrainLibp2p, init: SlowLorisInit) {
    this.node = node
    this.#init = { streamsPerTarget: 64, trickleMs: 400, ...init }
  }

  static async start (init: SlowLorisInit): Promise<SlowLorisPeer> {
    const node = await createMeshtrainLibp2p({
      privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], mdns: false, networkId: init.networkId
    })
    await node.start()
    return new SlowLorisPeer(node, init)
  }

  get peerId (): string { return this.node.peerId.toString() }

  /** Keep `streamsPerTarget` trickling streams open to every target until {@link stop}. */
  attack (): void {
    for (const target of this.#init.targets) {
      for (let i = 0; i < this.#init.streamsPerTarget; i++) this.#loops.push(this.#holdStream(target))
    }
  }

  report (): SlowLorisReport {
    return { opened: this.#opened, refused: this.#refused }
  }

  /** Whether a fresh connection to `target` is accepted now (a banned peer's is not). */
  async canConnect (target: string): Promise<boolean> {
    const address = multiaddr(target)
    const peer = address.getComponents().findLast(c => c.name === 'p2p')?.value
    if (peer !== undefined) await this.node.hangUp(address).catch(() => undefined)
    try {
      await this.node.dialProtocol(address, modelProtocol(this.#init.networkId), { signal: AbortSignal.timeout(5000) }).then(s => { s.abort(new Error('probe')) })
      return true
    } catch {
      return false
    }
  }

  async stop (): Promise<void> {
    this.#run.abort()
    await Promise.allSettled(this.#loops)
    await this.node.stop()
  }

  /** One slot's worth of attack: open a stream, trickle, and open another when it dies. */
  async #holdStream (target: string): Promise<void> {
    const signal = this.#run.signal
    const request = new Uint8Array(33).fill(7)
    request[0] = 32
    while (!signal.aborted) {
      let stream: Stream | undefined
      try {
        stream = await this.node.dialProtocol(multiaddr(target), modelProtocol(this.#init.networkId), { signal: AbortSignal.any([signal, AbortSignal.timeout(5000)]) })
        this.#opened++
        for (let i = 0; i < request.length && !signal.aborted && stream.status === 'open'; i++) {
          stream.send(request.subarray(i, i + 1))
          await delay(this.#init.trickleMs, undefined, { signal }).catch(() => undefined)
        }
      } catch {
        this.#refused++
        await delay(this.#init.trickleMs, undefined, { signal }).catch(() => undefined)
      } finally {
        stream?.abort(new Error('slow-loris done'))
      }
    }
  }
}
