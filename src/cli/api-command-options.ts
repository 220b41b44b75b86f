import { boolean } from '../node/index.ts'
import { DATA_DIR_OPTION } from './data-dir-option.ts'

/** `--json`: machine-readable output. */
export const JSON_OPTION = {
  kind: 'boolean', default: false, defaultText: 'off', allowed: 'on or off', persistent: false,
  help: 'print JSON (one document; with --follow, one object per line)', parse: boolean
} as const

/** The options of the commands that ask a running node (status, peers, rounds). */
export const API_COMMAND_OPTIONS = { dataDir: DATA_DIR_OPTION, json: JSON_OPTION }
