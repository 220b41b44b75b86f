import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { boolean, loadIdentity } from '../node/index.ts'
import type { Setting } from '../node/index.ts'
import type { PrivateKey } from '@libp2p/interface'

/** `--json` of the ledger commands. */
export const JSON_OPTION = {
  kind: 'boolean', default: false as boolean, defaultText: 'off', allowed: 'on or off', help: 'print JSON instead of text', parse: boolean, persistent: false
} as const satisfies Setting<boolean>

/** The node's own key and peer id, from `<data-dir>/identity.key`. */
export async function nodeIdentity (dataDir: string): Promise<{ key: PrivateKey, peerId: string }> {
  const key = await loadIdentity(dataDir)
  return { key, peerId: peerIdFromPrivateKey(key).toString() }
}
