import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DEFAULT_MANIFEST } from '../../src/protocol/index.ts'
import { DaemonProcess, runCli, tempDir, writeManifest } from './daemon-fixture.ts'

/** The consortium's life from the command line: preconditions, ids, manifest versions. */
describe('consortium commands', function () {
  this.timeout(120_000)

  it('init and start refuse a two-member network whose rule needs three inputs (exit 2, one line with the numbers)', async () => {
    const dir = await tempDir()
    try {
      const sites = [join(dir.path, 'a'), join(dir.path, 'b')]
      const ids: string[] = []
      for (const site of sites) {
        const made = await runCli(['init', '--data-dir', site])
        assert.equal(made.code, 0, made.stderr)
        ids.push(/created node (\S+)/.exec(made.stdout)?.[1] ?? '')
      }
      const manifest = { ...JSON.parse(await readFile(join(sites[0] as string, 'manifest.json'), 'utf8')), members: ids.sort() }
      await writeFile(join(dir.path, 'network.json'), JSON.stringify(manifest))
      const init = await runCli(['init', '--data-dir', join(dir.path, 'c'), '--manifest', join(dir.path, 'network.json')])
      assert.equal(init.code, 2, init.stderr)
      assert.match(init.stderr, /^meshtrain: manifest: members: 2 members, but aggregation\.rule "median" with f=1 needs 3 inputs[^\n]*\n$/)
      await writeFile(join(sites[0] as string, 'manifest.json'), JSON.stringify(manifest))
      const start = await runCli(['start', '--data-dir', sites[0] as string, '--rounds', '1'])
      assert.equal(start.code, 2, start.stderr)
      assert.match(start.stderr, /2 members, but aggregation\.rule "median" with f=1 needs 3 inputs/)
      assert.equal(start.stderr.trim().split('\n').length, 1, start.stderr)
    } finally {
      await dir.remove()
    }
  })

  it('a node alone for 5 rounds says why in the log and the status line', async () => {
    const dir = await tempDir()
    const site = join(dir.path, 'alone')
    let daemon: DaemonProcess | undefined
    try {
      const manifest = { ...DEFAULT_MANIFEST, training: { ...DEFAULT_MANIFEST.training, localSteps: 2 }, rounds: { quorum: 2, deadlineMs: 300, window: 2 } }
      const made = await runCli(['init', '--data-dir', site, '--manifest', await writeManifest(dir.path, manifest), '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--rounds', '5'])
      assert.equal(made.code, 0, made.stderr)
      daemon = new DaemonProcess(site)
      assert.equal(await daemon.exited, 0, daemon.stderr)
      const stalled = daemon.events.filter(e => e.event === 'stalled')
      assert.equal(stalled.length, 1, JSON.stringify(daemon.events))
      assert.deepEqual(stalled[0], { event: 'stalled', rounds: 5, round: 4, heard: [], inputs: 1, needed: 3, rule: 'median' })
      assert.match(daemon.stderr, /kept its own model 5 rounds in a row: heard no peer in round 4, 1 input, rule median needs 3/)
    } finally {
      daemon?.stop()
      await dir.remove()
    }
  })

  it('id prints the peer id init made and a member line that pastes into a manifest; without an identity it exits 2', async () => {
    const dir = await tempDir()
    try {
      const site = join(dir.path, 'site')
      const made = await runCli(['init', '--data-dir', site])
      const peerId = /created node (\S+)/.exec(made.stdout)?.[1]
      assert.ok(peerId !== undefined, made.stdout)
      const id = await runCli(['id', '--data-dir', site])
      assert.equal(id.code, 0, id.stderr)
      assert.equal(id.stdout.split('\n')[0], `peer id ${peerId}`)
      const line = id.stdout.split('\n')[2]?.trim() ?? ''
      assert.deepEqual(JSON.parse(`[${line.replace(/,$/, '')}]`), [peerId])
      const missing = await runCli(['id', '--data-dir', join(dir.path, 'nowhere')])
      assert.equal(missing.code, 2)
      assert.match(missing.stderr, /^meshtrain: .*identity\.key not found[^\n]*\n$/)
    } finally {
      await dir.remove()
    }
  })
})
