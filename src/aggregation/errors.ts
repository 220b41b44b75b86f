import { InputError } from '../errors/index.ts'

/** A manifest's aggregation settings name an unknown rule or a value the rule does not allow. */
export class AggregationSpecError extends InputError {
  /** The setting at fault, e.g. `aggregation.rule`, `aggregation.b`, `rounds.quorum`. */
  readonly setting: string
  constructor (setting: string, message: string, options?: ErrorOptions) {
    super('bad-aggregation', `${setting}: ${message}`, options)
    this.setting = setting
  }
}

/**
 * A rule was called with inputs its precondition excludes: too few of them for the number of
 * Byzantine inputs it is set to survive, none at all, or vectors of different lengths.
 */
export class AggregationPreconditionError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'AggregationPreconditionError'
  }
}
