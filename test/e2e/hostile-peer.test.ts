import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { NetworkStatus, StatusEvent } from '../../src/node/index.ts'
import { DEFAULT_MANIFEST, networkId, parameterCount } from '../../src/protocol/index.ts'
import type { NetworkManifest } from '../../src/protocol/index.ts'
import { HostilePeer } from '../../scripts/hostile-peer.ts'
import type { HostileStormReport } from '../../scripts/hostile-peer.ts'
import { DaemonProcess, PACED_ROUND_MS, freePorts, runCli, tempDir, writeManifest } from './daemon-fixture.ts'

const HONEST = 3
/** Three honest daemons, the default rule (trimmed mean with b=1 after mixing): every round waits for both peers' models, so the run does not depend on timing. */
const MANIFEST: NetworkManifest = { ...DEFAULT_MANIFEST, name: 'hostile-storm', rounds: { quorum: 2, deadlineMs: 8_000, window: 2 } }
/** The stormed swarm's limit, never reached: it is stopped two rounds after the storm, and the calm reference then trains exactly as many rounds. */
const STORM_SWARM_ROUNDS = 1000
/** The storm starts once every honest node has finished this round. */
const STORM_AFTER_ROUND = 3
const MB = 1024 * 1024

interface Swarm {
  readonly daemons: DaemonProcess[]
  readonly addresses: string[]
}

async function startSwarm (base: string, rounds: number): Promise<Swarm> {
  const manifestPath = await writeManifest(base, MANIFEST)
  const ports = await freePorts(HONEST)
  const nodes = await Promise.all(Array.from({ length: HONEST }, async (_, i) => {
    const dir = join(base, `node-${i}`)
    const { code, stdout, stderr } = await runCli(['init', '--data-dir', dir, '--manifest', manifestPath])
    assert.equal(code, 0, stderr)
    return { dir, peerId: /created node (\S+)/.exec(stdout)?.[1] ?? '', port: ports[i] as number }
  }))
  const address = (n: { peerId: string, port: number }): string => `/ip4/127.0.0.1/tcp/${n.port}/p2p/${n.peerId}`
  for (const [i, node] of nodes.entries()) {
    await writeFile(join(node.dir, 'config.json'), JSON.stringify({
      // Paced: flat out, the storm spanned 42 rounds, each of which the calm reference trained too.
      listen: [`/ip4/127.0.0.1/tcp/${node.port}`], bootstrap: nodes.filter(n => n !== node).map(address), mdns: false, shard: `${i}/${HONEST + 1}`, rounds, minRoundMs: PACED_ROUND_MS
    }))
  }
  // --expose-gc: each daemon collects garbage before it reports its memory, so before and after compare retained memory.
  const options = process.env.NODE_OPTIONS
  process.env.NODE_OPTIONS = `${options ?? ''} --expose-gc`.trim()
  try {
    return { daemons: nodes.map(n => new DaemonProcess(n.dir)), addresses: nodes.map(address) }
  } finally {
    if (options === undefined) delete process.env.NODE_OPTIONS
    else process.env.NODE_OPTIONS = options
  }
}

function networkEvents (daemon: DaemonProcess): Array<Extract<StatusEvent, { event: 'network' }>> {
  return daemon.events.filter((e): e is Extract<StatusEvent, { event: 'network' }> => e.event === 'network')
}

function mean (xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length
}

function mb (bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`
}

describe('a hostile peer storms a live swarm (real daemons and a real libp2p node on 127.0.0.1)', function () {
  this.timeout(300_000)
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  it('survives 10,000+ hostile messages, bans the sender, and the honest nodes train as well as without it', async () => {
    // The swarm with a hostile peer dialling every node once round STORM_AFTER_ROUND is done.
    const stormDir = await tempDir()
    cleanups.push(stormDir.remove)
    const swarm = await startSwarm(stormDir.path, STORM_SWARM_ROUNDS)
    cleanups.push(async () => { for (const d of swarm.daemons) d.stop() })
    for (const d of swarm.daemons) await d.waitFor(() => d.lastRound >= STORM_AFTER_ROUND, `round ${STORM_AFTER_ROUND}`)
    const [target] = swarm.daemons as [DaemonProcess]
    const before = networkEvents(target).at(-1)?.memory
    assert.ok(before !== undefined)
    const hostile = await HostilePeer.start({
      targets: swarm.addresses,
      networkId: networkId(MANIFEST),
      parameters: parameterCount(MANIFEST.model),
      currentRound: () => Math.min(...swarm.daemons.map(d => d.lastRound + 1)),
      gossipMessages: 8_000,
      transferRequests: 2_000,
      rawFrames: 300
    })
    cleanups.push(async () => { await hostile.stop() })
    await hostile.reachTargets()
    const stormStartedAt = Date.now()
    const stormStartRound = target.lastRound
    const report: HostileStormReport = await hostile.storm()
    const stormEndRound = target.lastRound
    const stormMs = Date.now() - stormStartedAt

    // Two more rounds after the storm on every node, then a graceful stop.
    const lastRound = stormEndRound + 2
    for (const d of swarm.daemons) await d.waitFor(() => d.lastRound >= lastRound, `round ${lastRound}, two after the storm`, 120_000)
    const after = networkEvents(target).at(-1) as NetworkStatus
    for (const d of swarm.daemons) d.child.kill('SIGTERM')
    for (const d of swarm.daemons) assert.equal(await d.exited, 0, `a node died under the storm: ${d.stderr.slice(-3000)}`)

    // The reference: the same swarm without the storm, for as many rounds.
    const calmDir = await tempDir()
    cleanups.push(calmDir.remove)
    const calm = await startSwarm(calmDir.path, lastRound + 1)
    cleanups.push(async () => { for (const d of calm.daemons) d.stop() })
    for (const d of calm.daemons) assert.equal(await d.exited, 0, d.stderr.slice(-2000))
    const calmMemory = networkEvents(calm.daemons[0] as DaemonProcess).map(e => e.memory.rssBytes)
    // Each node's held-out accuracy after round `lastRound`, with the storm and without.
    const heldOutAccuracy = (d: DaemonProcess): number => d.rounds.find(r => r.round === lastRound)?.accuracy ?? NaN
    const stormAccuracy = swarm.daemons.map(heldOutAccuracy)
    const calmAccuracy = calm.daemons.map(heldOutAccuracy)

    const graylistedBy = swarm.daemons.map(d => networkEvents(d).at(-1)?.graylisted.find(p => p.peerId === hostile.peerId))
    const first = graylistedBy[0]
    console.log(`      storm from round ${stormStartRound} to ${stormEndRound}, both swarms stopped after round ${lastRound}, ${stormMs} ms with building; hostile messages sent: ${report.total} (${report.sentWhileConnected} while still connected) in ${report.durationMs} ms: ${Object.entries(report.sent).map(([k, n]) => `${k} ${n}`).join(', ')}`)
    console.log(`      target memory before ${mb(before.heapUsedBytes)} heap + ${mb(before.externalBytes)} external / ${mb(before.rssBytes)} rss, after ${mb(after.memory.heapUsedBytes)} heap + ${mb(after.memory.externalBytes)} external / ${mb(after.memory.rssBytes)} rss`)
    console.log(`      without the storm, the same node's rss went ${mb(calmMemory[STORM_AFTER_ROUND] ?? NaN)} -> ${mb(calmMemory.at(-1) ?? NaN)} over the same rounds`)
    console.log(`      target refused: ${JSON.stringify(after.announcements)}; model requests: ${JSON.stringify(after.transferRequests)}`)
    console.log(`      hostile graylisted by ${graylistedBy.filter(p => p !== undefined).length}/${HONEST} nodes; on the target after ${first?.rejectedBeforeGraylist} rejected messages, ${(first?.graylistedAt ?? NaN) - (first?.firstRejectedAt ?? NaN)} ms after the first, score ${first?.score.toFixed(1)}`)
    console.log(`      honest held-out accuracy without the storm ${calmAccuracy.map(a => a.toFixed(4)).join(' ')}, with it ${stormAccuracy.map(a => a.toFixed(4)).join(' ')}`)

    assert.ok(report.total >= 10_000)
    // What a peer can make the node keep lives on the JS heap and in its buffers (external):
    // within 50 MB. RSS also moves with the training worker's WebAssembly memory and the
    // allocator, so it is held to 50 MB beyond what the same node's RSS did without the storm.
    const js = (m: NetworkStatus['memory']): number => m.heapUsedBytes + m.externalBytes
    assert.ok(js(after.memory) - js(before) <= 50 * MB, `heap+external ${mb(js(before))} -> ${mb(js(after.memory))}`)
    const calmDrift = Math.max(0, (calmMemory.at(-1) ?? 0) - (calmMemory[STORM_AFTER_ROUND] ?? 0))
    assert.ok(after.memory.rssBytes - before.rssBytes <= 50 * MB + calmDrift, `rss ${mb(before.rssBytes)} -> ${mb(after.memory.rssBytes)}, ${mb(calmDrift)} without the storm`)
    // Banned by the one penalty path: on its gossip score (graylisted) or on its model-stream
    // offences alone, whichever comes first (network/ban-enforcement.ts).
    const bannedBy = swarm.daemons.map(d => new RegExp(`peer ${hostile.peerId} (banned for|graylisted)`).test(d.stderr))
    console.log(`      hostile banned by ${bannedBy.filter(Boolean).length}/${HONEST} nodes`)
    assert.ok(bannedBy.every(Boolean), 'every honest node banned the hostile peer')
    assert.ok(Math.abs(mean(stormAccuracy) - mean(calmAccuracy)) <= 0.01, `accuracy ${mean(calmAccuracy)} without the storm, ${mean(stormAccuracy)} with it`)
    // Every round after the storm began still aggregated both honest peers' models.
    for (const d of swarm.daemons) {
      const during = d.rounds.filter(r => r.round > stormStartRound)
      assert.ok(during.every(r => r.used === HONEST - 1), JSON.stringify(d.rounds.map(r => [r.round, r.used, r.refused])))
    }
  })
})
