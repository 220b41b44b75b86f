import assert from 'node:assert/strict'
import { stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DEFAULT_MANIFEST } from '../../src/protocol/index.ts'
import type { NetworkManifest } from '../../src/protocol/index.ts'
import { DaemonProcess, daemonsPerTest, runCli, writeManifest } from './daemon-fixture.ts'
import { initMesh } from './mesh-fixture.ts'
import type { NodeDir } from './mesh-fixture.ts'

describe('meshtrain daemons on 127.0.0.1', function () {
  this.timeout(240_000)
  const world = daemonsPerTest()
  const started = world.started

  it('three daemons train together; one killed with SIGKILL does not stop the others; a late fourth catches up', async () => {
    const manifest: NetworkManifest = { ...DEFAULT_MANIFEST, rounds: { quorum: 2, deadlineMs: 3000, window: 2 } }
    const rounds = 14
    const [a, b, c, late] = await initMesh(world.temp.path, manifest, 4, { rounds }) as [NodeDir, NodeDir, NodeDir, NodeDir]
    const [da, db, dc] = [a, b, c].map(n => new DaemonProcess(n.dir)) as [DaemonProcess, DaemonProcess, DaemonProcess]
    started.push(da, db, dc)

    // Five rounds with all three: every round aggregates the two peers' models.
    for (const d of [da, db, dc]) await d.waitFor(() => d.lastRound >= 4, 'five rounds')
    for (const d of [da, db, dc]) {
      const firstFive = d.rounds.slice(0, 5)
      assert.ok(firstFive.filter(r => r.used === 2).length >= 4, JSON.stringify(firstFive))
      assert.ok((d.rounds[4]?.accuracy ?? 0) > 0.5, `held-out accuracy after 5 rounds ${d.rounds[4]?.accuracy}, chance is 0.1`)
    }

    dc.child.kill('SIGKILL')
    const killedAt = Math.max(da.lastRound, db.lastRound)
    await da.waitFor(() => da.lastRound >= killedAt + 2, 'two rounds after the kill')

    const dLate = new DaemonProcess(late.dir)
    started.push(dLate)
    const networkRound = Math.max(da.lastRound, db.lastRound)
    await dLate.waitFor(() => dLate.rounds.length > 0, 'the late node\'s first round')
    const firstLateRound = dLate.rounds[0]?.round ?? -1
    assert.ok(firstLateRound >= networkRound, `late node started at round ${firstLateRound}, network was at ${networkRound}`)

    for (const d of [da, db, dLate]) {
      assert.equal(await d.exited, 0, d.stderr.slice(-2000))
      assert.equal(d.lastRound, rounds - 1)
    }
    assert.ok((da.rounds.at(-1)?.accuracy ?? 0) > 0.8, `final held-out accuracy ${da.rounds.at(-1)?.accuracy}`)
    assert.ok(dLate.rounds.some(r => r.used >= 1), 'the late node aggregated peer models after catching up')
  })

  it('a model of over 2 million parameters (8 MB, twice gossipsub\'s limit) trains and moves between two daemons', async () => {
    const manifest: NetworkManifest = {
      ...DEFAULT_MANIFEST,
      name: 'big-model',
      model: { ...DEFAULT_MANIFEST.model, hiddenLayers: [{ type: 'dense', units: 2048, activation: 'relu' }, { type: 'dense', units: 256, activation: 'relu' }] },
      training: { ...DEFAULT_MANIFEST.training, localSteps: 2 },
      aggregation: { rule: 'mean' },
      rounds: { quorum: 1, deadlineMs: 15_000, window: 2 }
    }
    const nodes = await initMesh(world.temp.path, manifest, 2, { rounds: 2 })
    const daemons = nodes.map(n => new DaemonProcess(n.dir))
    started.push(...daemons)
    for (const d of daemons) {
      assert.equal(await d.exited, 0, d.stderr.slice(-2000))
      const ready = d.events.find(e => e.event === 'ready')
      assert.ok(ready !== undefined && ready.event === 'ready' && ready.parameters > 2_000_000)
      // used = 1: the peer's payload arrived, its hash matched the signed announcement, and it was averaged in.
      assert.deepEqual(d.rounds.map(r => [r.round, r.used, r.refused]), [[0, 1, 0], [1, 1, 0]])
    }
  })
})

describe('meshtrain command line', function () {
  this.timeout(60_000)
  const world = daemonsPerTest()

  it('init creates the identity key with mode 0600 and refuses to overwrite it', async () => {
    const dir = join(world.temp.path, 'node')
    assert.equal((await runCli(['init', '--data-dir', dir])).code, 0)
    assert.equal((await stat(join(dir, 'identity.key'))).mode & 0o777, 0o600)
    const again = await runCli(['init', '--data-dir', dir])
    assert.equal(again.code, 2)
    assert.match(again.stderr, /identity\.key already exists: refusing to overwrite/)
  })

  it('a bad setting exits 2 naming the setting, the value and what is allowed', async () => {
    const dir = join(world.temp.path, 'node')
    await runCli(['init', '--data-dir', dir])
    const flag = await runCli(['start', '--data-dir', dir, '--rounds', 'ten'])
    assert.equal(flag.code, 2)
    assert.match(flag.stderr, /--rounds: got "ten", expected a whole number/)
    const env = await runCli(['start', '--data-dir', dir], { MESHTRAIN_BACKEND: 'gpu' })
    assert.equal(env.code, 2)
    assert.match(env.stderr, /MESHTRAIN_BACKEND: got "gpu", expected one of auto, tensorflow, wasm, cpu/)
    await writeFile(join(dir, 'config.json'), '{"mdns": "sometimes"}')
    const file = await runCli(['start', '--data-dir', dir])
    assert.equal(file.code, 2)
    assert.match(file.stderr, /config.json "mdns": got "sometimes", expected a boolean/)
  })

  it('a manifest with an unknown rule, or a quorum too small for its rule, exits 2 naming both', async () => {
    const unknown = await writeManifest(world.temp.path, { ...DEFAULT_MANIFEST, aggregation: { rule: 'majority-vote' } })
    const r1 = await runCli(['init', '--data-dir', join(world.temp.path, 'a'), '--manifest', unknown])
    assert.equal(r1.code, 2)
    assert.match(r1.stderr, /aggregation\.rule/)
    assert.match(r1.stderr, /majority-vote/)
    assert.match(r1.stderr, /median/)
    const short = await writeManifest(world.temp.path, { ...DEFAULT_MANIFEST, aggregation: { rule: 'median', f: 2 }, rounds: { ...DEFAULT_MANIFEST.rounds, quorum: 2 } })
    const r2 = await runCli(['init', '--data-dir', join(world.temp.path, 'b'), '--manifest', short])
    assert.equal(r2.code, 2)
    assert.match(r2.stderr, /rounds\.quorum is 2, too small for aggregation\.rule "median" with f=2/)
  })

  it('start --help lists every setting with its default', async () => {
    const { code, stdout } = await runCli(['start', '--help'])
    assert.equal(code, 0)
    assert.match(stdout, /--no-mdns/)
    assert.match(stdout, /default: \/ip4\/0\.0\.0\.0\/tcp\/7171/)
  })
})
