import { writeFileAtomically } from './atomic-file.ts'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { decodeModelPayload } from '../protocol/index.ts'
import type { UpdateAnnouncement } from '../protocol/index.ts'
import type { LocalTrainer, Logger, RoundNetwork } from '../round/index.ts'

/** The model this node announced last, kept beside the checkpoint: `<checkpoints>/announced.json` and `.payload`. */
export const ANNOUNCED_FILE = 'announced.json'
const ANNOUNCED_PAYLOAD_FILE = 'announced.payload'

/** What was announced, as kept on disk (the payload is beside it). */
interface AnnouncedRecord {
  readonly networkId: string
  readonly round: number
  readonly modelHash: string
  readonly loss: number
  readonly sampleCount: number
}

/** A model announced before a restart, to be announced again unchanged. */
export interface AnnouncedModel {
  readonly round: number
  readonly weights: Float32Array
  readonly loss: number
  readonly sampleCount: number
}

/**
 * An honest node must never announce two models for one round: its peers would take it for an
 * equivocator. A node restarted after announcing round r but before checkpointing it would train
 * round r again and, training not being bit-for-bit repeatable, announce another model. So the
 * journal keeps the last announced model on disk, written (payload, then record, each fsynced and
 * renamed) before the announcement leaves the node; on restart at that round the trainer hands back
 * that model instead of training, and the node announces the same model hash again (which peers
 * that saw it take as a duplicate).
 */
export class AnnouncementJournal {
  readonly #dir: string
  readonly #networkId: string
  readonly #log: Logger
  #pending: AnnouncedModel | undefined
  /** The round and model hash last recorded, and the write in progress (writes run one at a time). */
  #recorded: string | undefined
  #writing: Promise<void> = Promise.resolve()

  private constructor (dir: string, networkId: string, log: Logger, pending: AnnouncedModel | undefined) {
    this.#dir = dir
    this.#networkId = networkId
    this.#log = log
    this.#pending = pending
  }

  /**
   * Read the journal of `dir` (a checkpoints directory). A record of another network, a payload
   * that does not match it, or none at all: nothing to repeat.
   */
  static async open (dir: string, networkId: string, parameterCount: number, log: Logger): Promise<AnnouncementJournal> {
    let pending: AnnouncedModel | undefined
    try {
      const record = JSON.parse(await readFile(join(dir, ANNOUNCED_FILE), 'utf8')) as AnnouncedRecord
      if (record.networkId === networkId && Number.isSafeInteger(record.round) && record.round >= 0) {
        const payload = await readFile(join(dir, ANNOUNCED_PAYLOAD_FILE))
        const weights = decodeModelPayload(payload, record.modelHash, parameterCount)
        pending = { round: record.round, weights, loss: record.loss, sampleCount: record.sampleCount }
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'ENOENT') log.debug(`no usable announcement journal in ${dir}: ${(err as Error).message}`)
    }
    return new AnnouncementJournal(dir, networkId, log, pending)
  }

  /** The model announced for `round` before a restart, if that is the round the journal holds. */
  announced (round: number): AnnouncedModel | undefined {
    return this.#pending?.round === round ? this.#pending : undefined
  }

  /**
   * Keep `announcement` and its payload on disk. A write that fails (a full disk) removes the
   * record, so that no stale one is repeated, and is a warning: the announcement still goes out.
   */
  async record (announcement: UpdateAnnouncement, payload: Uint8Array): Promise<void> {
    // The round loop repeats an announcement while it waits: write each one once, one at a time
    // (two writes at once would share a temporary file name).
    const key = `${announcement.round} ${announcement.modelHash}`
    if (this.#recorded === key) return await this.#writing
    this.#recorded = key
    this.#writing = this.#writing.then(async () => await this.#write(announcement, payload))
    await this.#writing
  }

  async #write (announcement: UpdateAnnouncement, payload: Uint8Array): Promise<void> {
    const record: AnnouncedRecord = {
      networkId: this.#networkId, round: announcement.round, modelHash: announcement.modelHash, loss: announcement.loss, sampleCount: announcement.sampleCount
    }
    try {
      // Payload first: a record on disk always describes the payload beside it (or fails its hash).
      await writeFileAtomically(join(this.#dir, ANNOUNCED_PAYLOAD_FILE), payload)
      await writeFileAtomically(join(this.#dir, ANNOUNCED_FILE), Buffer.from(JSON.stringify(record)))
    } catch (err) {
      await rm(join(this.#dir, ANNOUNCED_FILE), { force: true }).catch(() => undefined)
      const code = (err as NodeJS.ErrnoException).code
      this.#log.warn(`round ${announcement.round}: cannot keep the announced model in ${this.#dir} (${code === 'ENOSPC' ? 'no space left on device' : code ?? (err as Error).message}); announcing anyway, but a restart in this round would announce another model`)
    }
  }

  /** `trainer`, handing back the journal's model for the round it holds instead of training it again. */
  wrapTrainer (trainer: LocalTrainer): LocalTrainer {
    const train: LocalTrainer['train'] = async (weights, round) => {
      const announced = round === undefined ? undefined : this.announced(round)
      if (announced === undefined) return await trainer.train(weights, round)
      this.#pending = undefined
      this.#log.info(`round ${announced.round}: announced before the restart; announcing the same model again instead of training`)
      return { weights: announced.weights.slice(), loss: announced.loss, sampleCount: announced.sampleCount }
    }
    return delegate(trainer, { train })
  }

  /** `network`, recording every announcement before it is published. */
  wrapNetwork (network: RoundNetwork): RoundNetwork {
    const announce: RoundNetwork['announce'] = async (announcement, payload, signal) => {
      await this.record(announcement, payload)
      await network.announce(announcement, payload, signal)
    }
    return delegate(network, { announce })
  }
}

/** `target` with some methods replaced, every other member read from it (bound to it). */
function delegate<T extends object> (target: T, replaced: Partial<T>): T {
  return new Proxy(target, {
    get (object, property) {
      if (Object.hasOwn(replaced, property)) return (replaced as Record<PropertyKey, unknown>)[property]
      const value: unknown = Reflect.get(object, property, object)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value
    }
  })
}
