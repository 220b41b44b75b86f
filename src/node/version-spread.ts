import { ManifestEquivocationError, ManifestVersionError } from '../protocol/index.ts'
import type { ManifestVersion, NetworkManifest } from '../protocol/index.ts'
import type { Logger } from '../round/index.ts'
import { adoptVersion, loadManifestChain } from './manifest-chain.ts'
import type { ManifestChain } from './manifest-chain.ts'

/** What the sync service needs of the node's manifest versions (src/network/network-sync.ts). */
export interface SpreadVersions {
  current (): number
  after (n: number): readonly ManifestVersion[]
  offer (versions: readonly ManifestVersion[], from: string): Promise<void>
}

/**
 * The node's side of spreading manifest versions: serve the chain it runs under (`chain()`), and
 * store versions peers send into `<data-dir>/manifests/` once they verify against the stored chain,
 * where the daemon picks them up after the round as it does versions given to `manifest publish`.
 * A refused version is logged with its reason; a rival one as evidence. Offers run one at a time.
 */
export function spreadVersions (dataDir: string, genesis: NetworkManifest, chain: () => ManifestChain, log: Logger): SpreadVersions {
  let queue = Promise.resolve()
  return {
    current: () => chain().current.version,
    after: n => chain().versions.slice(n),
    offer: async (versions, from) => {
      const run = queue.then(async () => {
        let stored = await loadManifestChain(dataDir, genesis)
        for (const version of versions) {
          try {
            const next = await adoptVersion(dataDir, stored, version)
            if (next !== stored) log.info(`manifest version ${version.version} received from ${from}: verified and stored`)
            stored = next
          } catch (err) {
            if (err instanceof ManifestEquivocationError) log.warn(`from ${from}: ${err.message}`)
            else if (err instanceof ManifestVersionError) log.warn(`manifest version ${version.version} from ${from} refused: ${err.message}`)
            else throw err
            return
          }
        }
      })
      queue = run.catch(() => {})
      await run
    }
  }
}
