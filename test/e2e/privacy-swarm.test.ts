import assert from 'node:assert/strict'
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { nodeIdentity } from '../../src/cli/ledger-options.ts'
import { lastPrivacyRecord, verifyLedgerDirectory } from '../../src/ledger/index.ts'
import { computeEpsilon, parsePrivacyBudget } from '../../src/privacy/index.ts'
import { DEFAULT_MANIFEST } from '../../src/protocol/index.ts'
import type { NetworkManifest } from '../../src/protocol/index.ts'
import type { StatusEvent } from '../../src/node/index.ts'
import { DaemonProcess, daemonsPerTest, runCli } from './daemon-fixture.ts'
import { apiUrl, initMesh } from './mesh-fixture.ts'
import type { NodeDir } from './mesh-fixture.ts'

type PrivacyEvent = Extract<StatusEvent, { event: 'privacy' }>

const LOCAL_STEPS = 5
const SIGMA = 1
const DELTA = 1e-5
/** Training records per node: the built-in MNIST's train part on 4 shards, less the held-out part. */
const RECORDS = 1800
const Q = DEFAULT_MANIFEST.training.batchSize / RECORDS
const epsilonAfter = (steps: number): number => computeEpsilon({ samplingRate: Q, noiseMultiplier: SIGMA, steps }, DELTA).epsilon
/** A budget that holds exactly 3 rounds of steps: above 15 steps' epsilon, below 20 steps'. */
const BUDGET = (epsilonAfter(3 * LOCAL_STEPS) + epsilonAfter(4 * LOCAL_STEPS)) / 2

function privacyEvents (d: DaemonProcess): PrivacyEvent[] {
  return d.events.filter((e): e is PrivacyEvent => e.event === 'privacy')
}

/**
 * A private swarm of real daemons on 127.0.0.1 (DP-SGD, onBudgetExhausted "stop"): every node
 * spends its budget round by round, announces with the privacy it has spent (its peers accept
 * them), stops by itself once the next round no longer fits, and a node killed mid-run resumes
 * its spent budget; every node's epsilon equals the one recomputed from the steps it recorded, and
 * its ledger verifies with that epsilon in its last privacy entry.
 */
describe('a private swarm of daemons', function () {
  this.timeout(120_000)
  const world = daemonsPerTest()

  it('spends its budget, stops at it, and resumes a killed node\'s spending', async () => {
    const privacy = { mode: 'dp-sgd', epsilonBudget: BUDGET, delta: DELTA, clipNorm: 1, noiseMultiplier: SIGMA, onBudgetExhausted: 'stop' } as const
    const manifest: NetworkManifest = {
      ...DEFAULT_MANIFEST,
      training: { ...DEFAULT_MANIFEST.training, localSteps: LOCAL_STEPS },
      // Rounds close at the quorum; the deadline only waits for peers still starting on a busy machine.
      rounds: { quorum: 2, deadlineMs: 5000, window: 2 },
      privacy
    }
    const nodes = await initMesh(world.temp.path, manifest, 4)
    const daemons = nodes.map(n => new DaemonProcess(n.dir))
    world.started.push(...daemons)
    // Meanwhile: one node alone on all 7,200 records, under a delta of 1e-3 (not below 1 / 7,200).
    const refusedStart = (async () => {
      await mkdir(join(world.temp.path, 'big'))
      const [big] = await initMesh(join(world.temp.path, 'big'), { ...manifest, privacy: { ...privacy, delta: 1e-3 } }, 1)
      return await runCli(['start', '--data-dir', (big as NodeDir).dir, '--log-format', 'json', '--no-api'])
    })()
    // The API reports the budget while the node runs.
    const url = await apiUrl(daemons[0] as DaemonProcess, (nodes[0] as NodeDir).dir)
    const status = await (await fetch(`${url}/api/v1/status`)).json() as { privacy: { epsilonBudget: number, delta: number, noiseMultiplier: number } | null }
    assert.deepEqual([status.privacy?.epsilonBudget, status.privacy?.delta, status.privacy?.noiseMultiplier], [BUDGET, DELTA, SIGMA])

    // Node 3 is killed once it has finished round 0, and started again on the same data directory.
    const killed = daemons[3] as DaemonProcess
    await killed.waitFor(() => killed.lastRound >= 0, 'round 0 of node 3')
    killed.child.kill('SIGKILL')
    await killed.exited
    const roundsBeforeKill = killed.rounds.length
    const stepsAtKill = privacyEvents(killed).at(-1)?.stepsSpent ?? -1
    const restarted = new DaemonProcess((nodes[3] as NodeDir).dir)
    world.started.push(restarted)
    await restarted.waitFor(() => privacyEvents(restarted).length > 0, 'the restarted node\'s budget')
    const resumed = privacyEvents(restarted)[0] as PrivacyEvent
    // It resumes at least the steps of the rounds it reported, never fewer (a crash after saving may have spent one more round).
    assert.ok(resumed.stepsSpent >= LOCAL_STEPS * roundsBeforeKill && resumed.stepsSpent >= stepsAtKill, `resumed ${resumed.stepsSpent} steps after ${roundsBeforeKill} rounds (${stepsAtKill} reported)`)
    assert.equal(resumed.epsilonSpent, epsilonAfter(resumed.stepsSpent))

    // Every node stops by itself once the next round's steps no longer fit, exit status 0.
    const running = [daemons[0], daemons[1], daemons[2], restarted] as DaemonProcess[]
    for (const [i, d] of running.entries()) {
      assert.equal(await d.exited, 0, `node ${i}: ${d.stderr.slice(-2000)}`)
      assert.match(d.stderr, /privacy budget spent \(epsilon [0-9.e-]+ of [0-9.e-]+\): the node trains no more and stops/)
      const last = privacyEvents(d).at(-1) as PrivacyEvent
      assert.equal(last.exhausted, true)
      assert.equal(last.stepsSpent, 3 * LOCAL_STEPS, `node ${i}`)
      assert.ok(last.epsilonSpent <= BUDGET)
      const saved = parsePrivacyBudget(await readFile(join((nodes[i] as NodeDir).dir, 'privacy.json'), 'utf8'))
      assert.equal(saved.stepsSpent, 3 * LOCAL_STEPS)
      // The epsilon it reports is the one an accountant recomputes from the steps it recorded.
      assert.equal(last.epsilonSpent, epsilonAfter(saved.stepsSpent))
    }
    for (const d of [daemons[0], daemons[1], daemons[2]] as DaemonProcess[]) {
      assert.deepEqual(d.rounds.map(r => r.round), [0, 1, 2], 'three rounds trained, then stopped')
    }
    // Every node's ledger verifies, each round's privacy entry recomputed by the accountant, and the
    // epsilon its last one recorded is the one the node reported: checked here as `ledger verify`
    // does, and by the command itself on the restarted node (with `ledger reproduce`, which says why
    // a private round's training is not re-run, alongside the daemon started again below).
    const commands = Promise.all([
      runCli(['ledger', 'verify', '--data-dir', (nodes[3] as NodeDir).dir]),
      runCli(['ledger', 'reproduce', '--data-dir', (nodes[1] as NodeDir).dir, '--round', '1'])
    ])
    const reportedEpsilon = (i: number): number => (privacyEvents(running[i] as DaemonProcess).at(-1) as PrivacyEvent).epsilonSpent
    for (const [i, n] of nodes.entries()) {
      const { key, peerId } = await nodeIdentity(n.dir)
      const report = await verifyLedgerDirectory(n.dir, peerId, key.publicKey)
      assert.equal(report.failure, undefined, `node ${i}: ${report.failure?.message}`)
      const last = lastPrivacyRecord(report.entries.map(e => e.entry))
      assert.deepEqual([last?.body.stepsSpent, last?.body.epsilon], [3 * LOCAL_STEPS, reportedEpsilon(i)], `node ${i}`)
    }
    // Peers accepted the private announcements (each carries epsilon, delta and sigma) and aggregated
    // their models; none was refused for its privacy. (A node that starts well before the others on a
    // busy machine may spend its rounds alone, so this is asked of the swarm, not of each node.)
    const everyNode = [...daemons, restarted]
    assert.ok(everyNode.some(d => d.rounds.some(r => r.used >= 2)), 'some round aggregated two peers\' models')
    for (const d of everyNode) {
      for (const e of d.events) if (e.event === 'network') assert.equal(e.announcements['wrong-privacy'] ?? 0, 0)
    }

    // Started again with its budget spent, a node trains nothing: it says so and stops.
    const again = new DaemonProcess((nodes[0] as NodeDir).dir)
    world.started.push(again)
    assert.equal(await again.exited, 0, again.stderr.slice(-2000))
    assert.equal(again.rounds.length, 0)
    assert.equal(privacyEvents(again)[0]?.exhausted, true)
    assert.equal(privacyEvents(again)[0]?.stepsSpent, 3 * LOCAL_STEPS)

    const [verified, reproduced] = await commands
    assert.equal(verified.code, 0, verified.stdout + verified.stderr)
    assert.match(verified.stdout, new RegExp(`^privacy ok: \\d+ rounds? trained with dp-sgd, each epsilon recomputed; epsilon ${String(reportedEpsilon(3)).replaceAll('.', '\\.')} spent by round \\d+ after ${3 * LOCAL_STEPS} steps`, 'm'))
    assert.equal(reproduced.code, 0, reproduced.stdout + reproduced.stderr)
    assert.match(reproduced.stdout, /^round 1: training not re-run \(trained with dp-sgd \(noise multiplier 1, clip norm 1; entry \d+\): its Poisson-sampled batches and Gaussian noise come from the CSPRNG, so no run reproduces it bit for bit/m)

    // A node with more records than one over the manifest's delta refuses to start, naming the setting (exit 2).
    const refused = await refusedStart
    assert.match(refused.stderr, /privacy\.delta/)
  })
})
