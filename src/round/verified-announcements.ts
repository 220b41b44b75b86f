import { createHash } from 'node:crypto'
import { decodeAnnouncement } from '../protocol/index.ts'
import type { UpdateAnnouncement } from '../protocol/index.ts'

/**
 * Most announcements remembered as verified: about three rounds of a 1,000-peer network (the
 * round window), at about 1 KiB each.
 */
export const MAX_VERIFIED_ANNOUNCEMENTS = 4096

export interface VerifiedAnnouncementsInit {
  /**
   * Distinct announcements remembered; the oldest is forgotten first.
   * @default MAX_VERIFIED_ANNOUNCEMENTS
   */
  readonly capacity?: number
  /**
   * What decodes and verifies bytes the cache has not seen (tests count its calls).
   * @default decodeAnnouncement
   */
  readonly decode?: (bytes: Uint8Array) => Promise<UpdateAnnouncement>
}

/**
 * Announcement bytes already decoded and signature-checked, by the SHA-256 of the bytes: checked
 * first, so a duplicate never costs a signature check. A waiting node repeats its one signed
 * announcement, and gossip hands a node the same message more than once; an Ed25519 verification
 * costs about a hundred times the hash that recognises the bytes. Equal bytes always decode to the
 * same announcement, so remembering the result is exact. Only announcements that decoded and
 * verified are remembered (a refusal is cheap to repeat and must not pin memory); concurrent
 * arrivals of the same bytes share one verification. Bounded: oldest forgotten first.
 */
export class VerifiedAnnouncements {
  readonly #capacity: number
  readonly #decode: (bytes: Uint8Array) => Promise<UpdateAnnouncement>
  readonly #known = new Map<string, Promise<UpdateAnnouncement>>()
  #verifications = 0

  constructor (init: VerifiedAnnouncementsInit = {}) {
    this.#capacity = init.capacity ?? MAX_VERIFIED_ANNOUNCEMENTS
    this.#decode = init.decode ?? decodeAnnouncement
  }

  /**
   * The announcement in `bytes`, verified once per distinct byte string.
   * @throws ValidationError from the decoder, as decodeAnnouncement does.
   */
  async decode (bytes: Uint8Array): Promise<UpdateAnnouncement> {
    const key = createHash('sha256').update(bytes).digest('base64')
    const known = this.#known.get(key)
    if (known !== undefined) return await known
    this.#verifications++
    const decoding = this.#decode(bytes)
    this.#known.set(key, decoding)
    while (this.#known.size > this.#capacity) this.#known.delete(this.#known.keys().next().value as string)
    try {
      return await decoding
    } catch (err) {
      this.#known.delete(key)
      throw err
    }
  }

  /** Decodings run so far (signature checks), duplicates not counted. */
  get verifications (): number { return this.#verifications }
}
