import assert from 'node:assert/strict'
import { cp, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { decodeEntry, parseLedgerFile, peerTable } from '../../src/ledger/index.ts'
import { DEFAULT_MANIFEST } from '../../src/protocol/index.ts'
import { DaemonProcess, freePorts, runCli, tempDir, writeManifest } from './daemon-fixture.ts'

/**
 * Fork detection with real daemons: node C's ledger is replaced by an older copy of itself while
 * C is stopped; C then trains on. Its peers, which hold a larger checkpoint C signed, catch the
 * other history in its first announcements (a shorter log, another root at a size they saw, or a
 * larger log whose consistency proof fails), keep the two checkpoints as evidence naming C, and say so.
 */
describe('a node whose ledger is rolled back to an older copy', function () {
  this.timeout(240_000)
  const started: DaemonProcess[] = []
  let temp: Awaited<ReturnType<typeof tempDir>>
  before(async () => { temp = await tempDir() })
  after(async () => {
    for (const d of started) d.stop()
    await temp.remove()
  })

  it('is caught by its peers within 2 rounds, and the evidence names it', async () => {
    const manifest = { ...DEFAULT_MANIFEST, rounds: { quorum: 2, deadlineMs: 3000, window: 2 } }
    const manifestPath = await writeManifest(temp.path, manifest)
    const ports = await freePorts(3)
    const nodes: Array<{ dir: string, peerId: string, port: number }> = []
    for (const i of [0, 1, 2]) {
      const dir = join(temp.path, `node-${i}`)
      const made = await runCli(['init', '--data-dir', dir, '--manifest', manifestPath])
      assert.equal(made.code, 0, made.stderr)
      nodes.push({ dir, peerId: /created node (\S+)/.exec(made.stdout)?.[1] ?? '', port: ports[i] as number })
    }
    for (const [i, node] of nodes.entries()) {
      await writeFile(join(node.dir, 'config.json'), JSON.stringify({
        listen: [`/ip4/127.0.0.1/tcp/${node.port}`],
        bootstrap: nodes.filter(n => n !== node).map(n => `/ip4/127.0.0.1/tcp/${n.port}/p2p/${n.peerId}`),
        mdns: false,
        shard: `${i}/3`
      }))
    }
    const start = (i: number): DaemonProcess => {
      const d = new DaemonProcess((nodes[i] as { dir: string }).dir)
      started.push(d)
      return d
    }
    const stop = async (d: DaemonProcess): Promise<void> => {
      d.child.kill('SIGTERM')
      assert.equal(await d.exited, 0, d.stderr.slice(-2000))
    }
    const [a, b] = [start(0), start(1)]
    let c = start(2)
    const cDir = (nodes[2] as { dir: string }).dir
    await c.waitFor(() => c.lastRound >= 1, 'two rounds of C')
    await stop(c)
    await cp(join(cDir, 'ledger'), join(temp.path, 'c-ledger-old'), { recursive: true })
    c = start(2)
    await c.waitFor(() => c.lastRound >= 4, 'C at round 4')
    await stop(c)
    // The rollback: C's ledger as it was after round 1; its model checkpoint stays at round 4 or later.
    await rm(join(cDir, 'ledger'), { recursive: true })
    await cp(join(temp.path, 'c-ledger-old'), join(cDir, 'ledger'), { recursive: true })
    c = start(2)
    // Counted from when C is back on the network (listening), not from its process start, which
    // loads TensorFlow.js first and takes longer on a busy machine.
    await c.waitFor(() => c.events.some(e => e.event === 'ready'), 'C listening again')
    const restartedAt = Math.max(a.lastRound, b.lastRound)
    const cId = (nodes[2] as { peerId: string }).peerId
    const caught = (d: DaemonProcess): boolean => d.stderr.includes(`peer ${cId}'s ledger forked`)
    for (const d of [a, b]) await d.waitFor(() => caught(d), 'the fork reported', 90_000)
    for (const d of [a, b]) assert.ok(d.lastRound <= restartedAt + 2, `caught at round ${d.lastRound}, C restarted at round ${restartedAt}`)
    for (const d of [a, b, c]) await stop(d)

    for (const i of [0, 1]) {
      const dir = (nodes[i] as { dir: string }).dir
      assert.equal((await runCli(['ledger', 'verify', '--data-dir', dir])).code, 0)
      const entries = parseLedgerFile(await readFile(join(dir, 'ledger', 'entries.log'))).records.map(decodeEntry)
      const evidence = entries.flatMap(e => (e.kind === 'evidence' && e.body.reason === 'forked-log' ? [e] : []))
      assert.equal(evidence.length, 1, `node ${i}: ${JSON.stringify(evidence)}`)
      assert.equal(peerTable(entries)[evidence[0]?.body.peer ?? -1], cId)
      // The two checkpoints C signed cannot both be of one append-only log: the second is shorter,
      // has another root at the same size, or is larger and C's consistency proof failed.
      const [first, second] = [evidence[0]?.body.first ?? '', evidence[0]?.body.second ?? ''].map(t => t.split(':')) as [string[], string[]]
      const [firstSize, secondSize] = [Number(first[0]), Number(second[0])]
      assert.ok(secondSize !== firstSize || first[1] !== second[1], `two different checkpoints: ${first.join(':')} and ${second.join(':')}`)
    }
  })
})
