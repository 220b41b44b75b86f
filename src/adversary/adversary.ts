import type { PrivateKey } from '@libp2p/interface'
import type { Aggregator } from '../aggregation/index.ts'
import type { LabelMap } from '../model/index.ts'
import type { NetworkManifest } from '../protocol/index.ts'
import type { LocalTrainer, Logger, RoundClock, RoundNetwork } from '../round/index.ts'
import { AdversarialNetwork } from './adversarial-network.ts'
import { adversarialTrainer } from './adversarial-trainer.ts'
import { attackLabelMap, isOmniscient } from './attack-spec.ts'
import type { Collusion } from './collusion.ts'
import { ConfigError } from '../errors/index.ts'
import type { AttackSpec } from './attack-spec.ts'

export interface AdversaryInit {
  readonly attack: AttackSpec
  /** Peer ids of every Byzantine node of the swarm, this one included: they do not wait for each other. */
  readonly colluders: readonly string[]
  /** Seed of the attacker's randomness (gaussian). @default 0 */
  readonly seed?: number
}

export interface AdversaryComponents {
  /** The network's rule: adaptive attacks line-search against it. */
  readonly aggregator: Aggregator
  /** Shared by the colluders of one process (the robustness benchmark): a deterministic attack is crafted once per round for all. */
  readonly collusion?: Collusion
}

/** The honest node an attack is wrapped around: what it needs to sign and decode models. */
export interface AttackerNode {
  readonly manifest: NetworkManifest
  readonly privateKey: PrivateKey
  readonly parameterCount: number
  readonly log?: Logger
  /** The loss of a model on this node's own training data: required by own-loss. */
  readonly loss?: (weights: Float32Array) => number
  /** The clock its round loop goes by (an omniscient attacker's wait for honest models goes by it too). @default wallClock */
  readonly clock?: RoundClock
}

/**
 * Makes an honest node a Byzantine one (testers and the robustness benchmark only): its trainer
 * is built with {@link Adversary.labelMap}, and its round loop is given {@link Adversary.wrapNetwork}
 * and {@link Adversary.wrapTrainer} in place of its own network and trainer. The round loop is the
 * honest one, unchanged: only what goes out differs.
 */
export class Adversary {
  readonly attack: AttackSpec
  readonly colluders: readonly string[]
  readonly #seed: number | undefined
  readonly #aggregator: Aggregator
  readonly #collusion: Collusion | undefined

  constructor (init: AdversaryInit, components: AdversaryComponents) {
    this.attack = init.attack
    this.colluders = init.colluders
    this.#seed = init.seed
    this.#aggregator = components.aggregator
    this.#collusion = components.collusion
  }

  /** Whether it reads the round's honest models and announces a model crafted from them instead of training. */
  get omniscient (): boolean { return isOmniscient(this.attack) }
  /** How its trainer must present labels: 'flip' for label-flip. */
  get labelMap (): LabelMap { return attackLabelMap(this.attack) }

  /** The node's network with the attack as its outgoing policy; wrap one network per adversary (it holds the attack's state). */
  wrapNetwork (network: RoundNetwork, node: AttackerNode): AdversarialNetwork {
    if (this.attack.name === 'own-loss' && node.loss === undefined) {
      throw new ConfigError('attack', '--attack: own-loss needs the loss on the node\'s own data, which only the robustness benchmark (npm run bench:robustness) provides; pick another attack')
    }
    return new AdversarialNetwork({
      attack: this.attack,
      colluders: this.colluders,
      manifest: node.manifest,
      privateKey: node.privateKey,
      parameterCount: node.parameterCount,
      ...(this.#seed === undefined ? {} : { seed: this.#seed })
    }, {
      network,
      aggregator: this.#aggregator,
      ...(node.log === undefined ? {} : { log: node.log }),
      ...(node.loss === undefined ? {} : { loss: node.loss }),
      ...(this.#collusion === undefined ? {} : { collusion: this.#collusion }),
      ...(node.clock === undefined ? {} : { clock: node.clock })
    })
  }

  /** The node's trainer as the attack uses it: omniscient attacks do not train. */
  wrapTrainer (trainer: LocalTrainer, manifest: NetworkManifest): LocalTrainer {
    return adversarialTrainer(trainer, this.attack, manifest.training)
  }
}
