import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import type { Ed25519PrivateKey } from '@libp2p/interface'

/** The Ed25519 key of simulated peer `index` of a run seeded `seed`: the same run gives the same peers. */
export async function simulatedPeerKey (seed: number, index: number): Promise<Ed25519PrivateKey> {
  const bytes = new Uint8Array(32)
  new DataView(bytes.buffer).setUint32(0, seed)
  new DataView(bytes.buffer).setUint32(4, index + 1)
  return await generateKeyPairFromSeed('Ed25519', bytes)
}
