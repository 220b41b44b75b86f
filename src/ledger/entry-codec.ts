import { LedgerFormatError } from './ledger-error.ts'

/**
 * The primitives of the binary entry encoding (docs/wire.md §10.1): unsigned LEB128 integers in
 * their shortest form, fixed-width hashes, length-prefixed bytes and UTF-8 strings, IEEE 754
 * little-endian floats, and one-byte flags. Each value has exactly one encoding, and the reader
 * refuses any other (a longer integer, a flag other than 0 or 1, a non-finite float, bad UTF-8),
 * so decoding and re-encoding give back the same bytes.
 */

/** Largest unsigned integer: 2^53 − 1, exact in a JavaScript number (8 LEB128 bytes). */
export const MAX_UINT = Number.MAX_SAFE_INTEGER

const utf8 = new TextEncoder()
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/** Appends values to a growing byte buffer. */
export class EntryWriter {
  #bytes = new Uint8Array(256)
  #length = 0

  #reserve (n: number): void {
    if (this.#length + n <= this.#bytes.byteLength) return
    const grown = new Uint8Array(Math.max(this.#bytes.byteLength * 2, this.#length + n))
    grown.set(this.#bytes.subarray(0, this.#length))
    this.#bytes = grown
  }

  /** An unsigned integer 0 to 2^53 − 1 as LEB128, shortest form. */
  uint (value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not an unsigned integer up to 2^53 - 1: ${value}`)
    this.#reserve(8)
    let v = value
    while (v >= 0x80) {
      this.#bytes[this.#length++] = (v % 0x80) | 0x80
      v = Math.floor(v / 0x80)
    }
    this.#bytes[this.#length++] = v
  }

  /** Raw bytes, no length (hashes). */
  fixed (bytes: Uint8Array): void {
    this.#reserve(bytes.byteLength)
    this.#bytes.set(bytes, this.#length)
    this.#length += bytes.byteLength
  }

  /** Length, then the bytes. */
  bytes (bytes: Uint8Array): void {
    this.uint(bytes.byteLength)
    this.fixed(bytes)
  }

  /** Length of the UTF-8 bytes, then the bytes. */
  string (value: string): void {
    this.bytes(utf8.encode(value))
  }

  /** 0x00 or 0x01. */
  flag (value: boolean): void {
    this.#reserve(1)
    this.#bytes[this.#length++] = value ? 1 : 0
  }

  /** A finite float64, little-endian. */
  f64 (value: number): void {
    if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`)
    this.#reserve(8)
    new DataView(this.#bytes.buffer).setFloat64(this.#length, value, true)
    this.#length += 8
  }

  /** A finite number rounded to float32, little-endian. */
  f32 (value: number): void {
    if (!Number.isFinite(Math.fround(value))) throw new RangeError(`not a finite float32: ${value}`)
    this.#reserve(4)
    new DataView(this.#bytes.buffer).setFloat32(this.#length, value, true)
    this.#length += 4
  }

  /** The bytes written. */
  finish (): Uint8Array {
    return this.#bytes.slice(0, this.#length)
  }
}

/** Reads values from untrusted bytes, refusing every encoding that is not the one {@link EntryWriter} writes. */
export class EntryReader {
  readonly #bytes: Uint8Array
  readonly #view: DataView
  #offset = 0

  constructor (bytes: Uint8Array) {
    this.#bytes = bytes
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  #need (n: number, what: string): void {
    if (this.#offset + n > this.#bytes.byteLength) throw new LedgerFormatError(`${what}: the entry ends ${this.#offset + n - this.#bytes.byteLength} bytes short`)
  }

  uint (what: string): number {
    let value = 0
    let scale = 1
    for (let i = 0; ; i++) {
      this.#need(1, what)
      const byte = this.#bytes[this.#offset++] as number
      value += (byte & 0x7f) * scale
      if (byte < 0x80) {
        if (byte === 0 && i > 0) throw new LedgerFormatError(`${what}: integer not in its shortest form`)
        if (value > MAX_UINT) throw new LedgerFormatError(`${what}: integer beyond 2^53 - 1`)
        return value
      }
      scale *= 0x80
      if (i >= 7) throw new LedgerFormatError(`${what}: integer beyond 2^53 - 1`)
    }
  }

  fixed (n: number, what: string): Uint8Array {
    this.#need(n, what)
    const out = this.#bytes.subarray(this.#offset, this.#offset + n)
    this.#offset += n
    return out
  }

  bytes (max: number, what: string): Uint8Array {
    const n = this.uint(what)
    if (n > max) throw new LedgerFormatError(`${what}: ${n} bytes, at most ${max}`)
    return this.fixed(n, what)
  }

  string (max: number, what: string): string {
    const raw = this.bytes(max, what)
    try {
      return strictUtf8.decode(raw)
    } catch {
      throw new LedgerFormatError(`${what}: not UTF-8`)
    }
  }

  flag (what: string): boolean {
    this.#need(1, what)
    const byte = this.#bytes[this.#offset++] as number
    if (byte > 1) throw new LedgerFormatError(`${what}: flag byte ${byte}, expected 0 or 1`)
    return byte === 1
  }

  f64 (what: string): number {
    return this.#finite(what, 8, at => this.#view.getFloat64(at, true))
  }

  f32 (what: string): number {
    return this.#finite(what, 4, at => this.#view.getFloat32(at, true))
  }

  /** A little-endian float of `width` bytes, read by `read`; refused unless finite. */
  #finite (what: string, width: number, read: (offset: number) => number): number {
    this.#need(width, what)
    const value = read(this.#offset)
    this.#offset += width
    if (!Number.isFinite(value)) throw new LedgerFormatError(`${what}: not a finite number`)
    return value
  }

  /** Throws unless every byte was read. */
  end (): void {
    if (this.#offset !== this.#bytes.byteLength) throw new LedgerFormatError(`${this.#bytes.byteLength - this.#offset} bytes after the last field`)
  }
}
