import { InputError } from '../errors/index.ts'

/**
 * A data set that cannot be named, found or read: a bad `--data` string, a missing or malformed
 * file, a bad value. The message names the file (and row and column, or byte offset) and what is
 * wrong; `file` is set when one file is at fault.
 */
export class DatasetError extends InputError {
  readonly file: string | undefined
  constructor (message: string, options?: ErrorOptions & { file?: string }) {
    super('bad-data', options?.file === undefined ? message : `${options.file}: ${message}`, options)
    this.file = options?.file
  }
}
