import { AggregationSpecError } from './errors.ts'

/** Reads and checks the settings of one `aggregation` object, naming each as `aggregation.<key>`. */
export class SpecReader {
  readonly #spec: Readonly<Record<string, unknown>>
  readonly #read = new Set<string>(['rule'])

  constructor (spec: Readonly<Record<string, unknown>>) {
    this.#spec = spec
  }

  /** Whether the spec sets `key`. */
  has (key: string): boolean {
    return this.#spec[key] !== undefined
  }

  /** An integer setting in [min, max], or `fallback` when absent. */
  integer (key: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    this.#read.add(key)
    const value = this.#spec[key]
    if (value === undefined) return fallback
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`
      throw new AggregationSpecError(`aggregation.${key}`, `got ${show(value)}, allowed: ${range}`)
    }
    return value
  }

  /** A finite number > 0, or `fallback` when absent. */
  positive (key: string, fallback: number): number {
    this.#read.add(key)
    const value = this.#spec[key]
    if (value === undefined) return fallback
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new AggregationSpecError(`aggregation.${key}`, `got ${show(value)}, allowed: a finite number > 0`)
    }
    return value
  }

  /** A finite number in [min, max], or `fallback` when absent. */
  number (key: string, fallback: number, min: number, max: number): number {
    this.#read.add(key)
    const value = this.#spec[key]
    if (value === undefined) return fallback
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      throw new AggregationSpecError(`aggregation.${key}`, `got ${show(value)}, allowed: a number from ${min} to ${max}`)
    }
    return value
  }

  /** A boolean setting, or `fallback` when absent. */
  boolean (key: string, fallback: boolean): boolean {
    this.#read.add(key)
    const value = this.#spec[key]
    if (value === undefined) return fallback
    if (typeof value !== 'boolean') throw new AggregationSpecError(`aggregation.${key}`, `got ${show(value)}, allowed: true or false`)
    return value
  }

  /** One of `choices` (strings), or `fallback` when absent. */
  choice<T extends string> (key: string, fallback: T, choices: readonly T[]): T {
    this.#read.add(key)
    const value = this.#spec[key]
    if (value === undefined) return fallback
    if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
      throw new AggregationSpecError(`aggregation.${key}`, `got ${show(value)}, allowed: ${choices.map(c => `"${c}"`).join(', ')}`)
    }
    return value as T
  }

  /** A finite number > 0 or the string `word`, or `fallback` when absent. */
  positiveOr<T extends string> (key: string, fallback: number | T, word: T): number | T {
    this.#read.add(key)
    const value = this.#spec[key]
    if (value === undefined) return fallback
    if (value === word) return word
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new AggregationSpecError(`aggregation.${key}`, `got ${show(value)}, allowed: "${word}" or a finite number > 0`)
    }
    return value
  }

  /** Throw for any setting no reader asked for (a misspelt option must not pass silently). */
  rejectUnread (rule: string): void {
    for (const key of Object.keys(this.#spec)) {
      if (this.#spec[key] !== undefined && !this.#read.has(key)) {
        const allowed = [...this.#read].filter(k => k !== 'rule').join(', ')
        throw new AggregationSpecError(`aggregation.${key}`, `rule "${rule}" has no setting "${key}"; its settings: ${allowed}`)
      }
    }
  }
}

/** A value as it appears in an error message. */
export function show (value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value)
  try {
    const json = JSON.stringify(value)
    return json === undefined ? typeof value : json.length > 60 ? `${json.slice(0, 57)}...` : json
  } catch {
    return typeof value
  }
}
