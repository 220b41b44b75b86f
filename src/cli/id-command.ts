import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { loadIdentity, settingsHelp } from '../node/index.ts'
import { parseCommandLine } from './args.ts'
import { DATA_DIR_OPTION, requireDataDir } from './data-dir-option.ts'

const ID_OPTIONS = { dataDir: DATA_DIR_OPTION }

const HELP = `usage: meshtrain id --data-dir DIR

Prints this node's peer id and the line to paste into the manifest's "members" array. Starts
nothing; reads only DIR/identity.key.

`

/** The line a member list needs for `peerId`: the JSON string and a comma. */
export function memberLine (peerId: string): string {
  return `${JSON.stringify(peerId)},`
}

/** `meshtrain id`: the node's peer id and its ready-to-paste member line. */
export async function idCommand (argv: string[]): Promise<void> {
  const { flags, help } = parseCommandLine(argv, ID_OPTIONS)
  if (help) return void process.stdout.write(`${HELP}${settingsHelp(ID_OPTIONS)}\n`)
  const peerId = peerIdFromPrivateKey(await loadIdentity(requireDataDir(flags))).toString()
  process.stdout.write(`peer id ${peerId}\nmember line for the manifest's "members" array:\n  ${memberLine(peerId)}\n`)
}
