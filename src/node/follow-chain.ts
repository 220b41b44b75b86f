import { RuntimeFailure } from '../errors/index.ts'
import type { Aggregator } from '../aggregation/index.ts'
import { ManifestEquivocationError, ManifestVersionError, manifestAt } from '../protocol/index.ts'
import type { NetworkManifest } from '../protocol/index.ts'
import { aggregatorFor } from './preconditions.ts'
import type { Logger } from '../round/index.ts'
import { loadManifestChain, versionName } from './manifest-chain.ts'
import type { ManifestChain } from './manifest-chain.ts'

/** What a running node changes when it adopts a version. */
export interface LiveMembership {
  /** This node's peer id. */
  readonly peerId: string
  /** The member set the connection gater and the round network read (empty: open). */
  readonly members: Set<string>
  /** Close every connection to a peer. */
  hangUp (peerId: string): Promise<void>
  readonly log: Logger
}

/**
 * Re-read `<data-dir>/manifests/` (where `meshtrain manifest publish` stores versions) and follow
 * any version adopted since `chain`: the member set changes at once, removed members' connections
 * are closed (the gater refuses them from then on and the round network their announcements).
 * A version that fails verification is reported and the node stays on `chain`.
 * @returns the chain the node now runs under.
 * @throws RuntimeFailure `removed-member` when the new version no longer lists this node.
 */
export async function followChain (dataDir: string, genesis: NetworkManifest, chain: ManifestChain, live: LiveMembership): Promise<ManifestChain> {
  let next: ManifestChain
  try {
    next = await loadManifestChain(dataDir, genesis)
  } catch (err) {
    if (err instanceof ManifestVersionError || err instanceof ManifestEquivocationError) {
      live.log.warn(`manifest versions not followed: ${err.message}`)
      return chain
    }
    throw err
  }
  if (next.current.version <= chain.current.version) return chain
  const before = chain.current.manifest
  const after = next.current.manifest
  const added = after.members.filter(m => !before.members.includes(m))
  const removed = before.members.filter(m => !after.members.includes(m))
  live.log.info(`adopted manifest ${versionName(next.current)} from round ${next.current.fromRound}: ${after.members.length} members (+${added.length} -${removed.length}), ${(after.admins ?? []).length} admins`)
  if (after.members.length > 0 && !after.members.includes(live.peerId)) {
    throw new RuntimeFailure('removed-member', `manifest ${versionName(next.current)} no longer lists this node (${live.peerId}) as a member: stopping`)
  }
  live.members.clear()
  for (const member of after.members) live.members.add(member)
  for (const peer of removed) {
    await live.hangUp(peer).catch((err: unknown) => { live.log.warn(`closing the connections of removed member ${peer} failed: ${String(err)}`) })
  }
  if (JSON.stringify([before.aggregation, before.rounds]) !== JSON.stringify([after.aggregation, after.rounds])) {
    live.log.info(`manifest ${versionName(next.current)} changes the rule or round timing: they apply from round ${next.current.fromRound}`)
  }
  return next
}

/**
 * The round loop's governance (RoundLoopComponents.governance): the manifest of the last adopted
 * version whose `fromRound` has come, and its rule (built once per version).
 */
export function governanceOf (chain: () => ManifestChain): (round: number) => { version: number, manifest: NetworkManifest, aggregator: Aggregator } {
  const aggregators = new Map<string, Aggregator>()
  return round => {
    const state = manifestAt(chain().states, round)
    let aggregator = aggregators.get(state.hash)
    if (aggregator === undefined) aggregators.set(state.hash, aggregator = aggregatorFor(state.manifest))
    return { version: state.version, manifest: state.manifest, aggregator }
  }
}
