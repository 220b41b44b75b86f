import { InputError } from '../errors/index.ts'

/**
 * A privacy parameter outside what the accountant can use: a sampling rate outside [0, 1], a
 * negative noise multiplier, a delta outside (0, 1), a step count that is not a whole number.
 * Bad input (exit 2); the message names the parameter, the value and what is allowed.
 */
export class PrivacyParameterError extends InputError {
  /** The parameter at fault: `samplingRate`, `noiseMultiplier`, `steps`, `delta`, `epsilon`, ... */
  readonly parameter: string
  constructor (parameter: string, message: string, options?: ErrorOptions) {
    super('bad-privacy-parameter', `${parameter}: ${message}`, options)
    this.parameter = parameter
  }
}
