import { InputError } from '../errors/index.ts'

/**
 * Bytes that are not a well-formed ledger entry, checkpoint or ledger file (exit 2 when it reaches
 * the command line). `verifyLedger` does not throw it: it reports the entry number and the reason.
 */
export class LedgerFormatError extends InputError {
  constructor (message: string, options?: ErrorOptions) {
    super('bad-ledger', message, options)
  }
}
