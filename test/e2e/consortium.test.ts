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
      assert.match(init.stderr, /^meshtrain: manifest: members: 2 members, but aggregation\.rule "trimmed-mean" with f=1 needs 3 inputs[^\n]*\n$/)
      await writeFile(join(sites[0] as string, 'manifest.json'), JSON.stringify(manifest))
      const start = await runCli(['start', '--data-dir', sites[0] as string, '--rounds', '1'])
      assert.equal(start.code, 2, start.stderr)
      assert.match(start.stderr, /2 members, but aggregation\.rule "trimmed-mean" with f=1 needs 3 inputs/)
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
      assert.deepEqual(stalled[0], { event: 'stalled', rounds: 5, round: 4, heard: [], inputs: 1, needed: 3, rule: 'trimmed-mean' })
      assert.match(daemon.stderr, /kept its own model 5 rounds in a row: heard no peer in round 4, 1 input, rule trimmed-mean needs 3/)
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

  it('manifest versions from the command line: a non-admin cannot sign, a wrong previous hash and a rival version are refused with a message', async () => {
    const dir = await tempDir()
    try {
      const sites: { dir: string, peerId: string }[] = []
      for (const name of ['a', 'b', 'c', 'd']) {
        const site = join(dir.path, name)
        const made = await runCli(['init', '--data-dir', site])
        sites.push({ dir: site, peerId: /created node (\S+)/.exec(made.stdout)?.[1] ?? '' })
      }
      const [a, b, c, d] = sites as [typeof sites[0], typeof sites[0], typeof sites[0], typeof sites[0]]
      const genesis = { ...DEFAULT_MANIFEST, members: sites.map(s => s.peerId), admins: [a, b, c].map(s => s.peerId) }
      for (const site of sites) await writeFile(join(site.dir, 'manifest.json'), JSON.stringify(genesis))
      const cli = async (...args: string[]) => runCli(args)
      const v1 = join(dir.path, 'v1.json')
      const rival = join(dir.path, 'rival.json')
      assert.equal((await cli('manifest', 'propose', '--data-dir', a.dir, '--set', 'rounds.deadlineMs=20000', '--out', v1)).code, 0)
      assert.equal((await cli('manifest', 'propose', '--data-dir', a.dir, '--set', 'rounds.deadlineMs=30000', '--out', rival)).code, 0)
      // d is a member but not an admin.
      const notAdmin = await cli('manifest', 'sign', v1, '--data-dir', d.dir)
      assert.equal(notAdmin.code, 2)
      assert.match(notAdmin.stderr, new RegExp(`^meshtrain: this node \\(${d.peerId}\\) is not an admin of version 0`))
      for (const [file, signers] of [[v1, [a, b]], [rival, [b, c]]] as const) {
        for (const signer of signers) assert.equal((await cli('manifest', 'sign', file, '--data-dir', signer.dir)).code, 0)
      }
      // A version that names another previous version is refused before its signatures are read.
      const forged = join(dir.path, 'forged.json')
      const text = await readFile(v1, 'utf8')
      await writeFile(forged, text.replace(/"previous": "[0-9a-f]{64}"/, `"previous": "${'0'.repeat(64)}"`))
      const wrongPrevious = await cli('manifest', 'publish', forged, '--data-dir', a.dir)
      assert.equal(wrongPrevious.code, 2)
      assert.match(wrongPrevious.stderr, /names previous 0{64}, but version 0 is [0-9a-f]{64}/)
      assert.equal((await cli('manifest', 'publish', v1, '--data-dir', a.dir)).code, 0)
      const evidence = await cli('manifest', 'publish', rival, '--data-dir', a.dir)
      assert.equal(evidence.code, 2)
      assert.match(evidence.stderr, /^meshtrain: manifest version 1: two different versions signed with this number \([0-9a-f]{64} held, [0-9a-f]{64} offered\): evidence of a compromised admin set; refused\n$/)
      assert.match((await cli('manifest', 'show', '--data-dir', a.dir)).stdout, /rounds: quorum 2, deadline 20000 ms/)
    } finally {
      await dir.remove()
    }
  })
})
