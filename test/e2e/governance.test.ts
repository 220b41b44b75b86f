import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DEFAULT_MANIFEST } from '../../src/protocol/index.ts'
import { DaemonProcess, PACED_ROUND_MS, daemonsPerTest, freePorts, runCli } from './daemon-fixture.ts'

/**
 * A closed network changes its members by signed vote while it trains: five members (three of
 * them admins, two signatures needed), then a version that adds a sixth site and removes one,
 * published with `meshtrain manifest publish` on one member and spread by the others; the
 * same version moves the rule from the default (the trimmed mean after mixing) to the mean, which the running members switch to.
 * The new site starts as soon as it holds the version, before the running members have adopted
 * it: while the version spreads, members on either side of it relay each other's announcements.
 */
describe('governance: members change by a signed manifest version while the network trains', function () {
  this.timeout(300_000)
  // How long one condition may take on a busy 2-core machine (a passing run waits far less).
  const patience = 120_000
  const world = daemonsPerTest()
  const started = world.started

  it('no member loses its round count or its model; the new site trains with them; the removed one is cut off', async () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f'] as const
    const ports = await freePorts(names.length)
    const sites = await Promise.all(names.map(async (name, i) => {
      const dir = join(world.temp.path, name)
      const made = await runCli(['init', '--data-dir', dir])
      assert.equal(made.code, 0, made.stderr)
      return { name, dir, port: ports[i] as number, peerId: /created node (\S+)/.exec(made.stdout)?.[1] as string }
    }))
    type Site = typeof sites[0]
    const [a, b, c, d, e, f] = sites as [Site, Site, Site, Site, Site, Site]
    const genesis = {
      ...DEFAULT_MANIFEST,
      name: 'governed',
      training: { ...DEFAULT_MANIFEST.training, localSteps: 10 },
      rounds: { quorum: 2, deadlineMs: 4_000, window: 2 },
      members: [a, b, c, d, e].map(s => s.peerId),
      admins: [a, b, c].map(s => s.peerId),
      threshold: 2
    }
    for (const [i, site] of sites.entries()) {
      await writeFile(join(site.dir, 'manifest.json'), JSON.stringify(genesis))
      await writeFile(join(site.dir, 'config.json'), JSON.stringify({
        listen: [`/ip4/127.0.0.1/tcp/${site.port}`],
        bootstrap: sites.filter(s => s !== site).map(s => `/ip4/127.0.0.1/tcp/${s.port}/p2p/${s.peerId}`),
        mdns: false,
        api: '127.0.0.1:0',
        shard: `${i}/${sites.length}`,
        minRoundMs: PACED_ROUND_MS
      }))
    }
    const [da, db, dc, dd, de] = [a, b, c, d, e].map(s => new DaemonProcess(s.dir)) as [DaemonProcess, DaemonProcess, DaemonProcess, DaemonProcess, DaemonProcess]
    started.push(da, db, dc, dd, de)
    const staying = [da, db, dc, de]
    const ok = async (args: string[]): Promise<string> => {
      const result = await runCli(args)
      assert.equal(result.code, 0, `meshtrain ${args.join(' ')}: ${result.stderr}`)
      return result.stdout
    }
    // The vote, prepared while the founders train: d leaves, f joins, and the network moves from
    // the default rule to the mean from the round after c's checkpoint. Proposed on c, signed by a and b.
    const version = join(world.temp.path, 'v1.json')
    const vote = async (): Promise<void> => {
      await dc.waitFor(() => dc.lastRound >= 0, 'a checkpoint on c', patience)
      await ok(['manifest', 'propose', '--data-dir', c.dir, '--add-member', f.peerId, '--remove-member', d.peerId, '--set', 'aggregation={"rule":"mean"}', '--out', version])
      await ok(['manifest', 'sign', version, '--data-dir', a.dir])
      await ok(['manifest', 'sign', version, '--data-dir', b.dir])
    }
    // The sixth site is not a member yet: its node refuses to start.
    const notYet = async (): Promise<void> => {
      const early = await runCli(['start', '--data-dir', f.dir])
      assert.equal(early.code, 2)
      assert.match(early.stderr, /not in the manifest's members list/)
    }
    await Promise.all([vote(), notYet(), ...staying.map(async daemon => {
      await daemon.waitFor(() => daemon.rounds.some(r => r.round >= 2 && r.used >= 2), 'rounds aggregated by the founding members', patience)
    })])

    // Published on f, whose node needs it to start, and on a: the sync protocol brings it to b, c
    // and e. f's node starts at once, so it announces while the members are still adopting the
    // version: the members refuse f until they have, and relay each other's announcements meanwhile.
    const before = new Map(staying.map(daemon => [daemon, daemon.rounds.at(-1) as { round: number, accuracy: number }]))
    assert.match(await ok(['manifest', 'publish', version, '--data-dir', f.dir]), /adopted manifest version 1/)
    const newcomer = new DaemonProcess(f.dir)
    started.push(newcomer)
    assert.match(await ok(['manifest', 'publish', version, '--data-dir', a.dir]), /adopted manifest version 1/)

    await newcomer.waitFor(() => newcomer.rounds.some(r => r.used >= 2), 'the new member aggregating with the others', patience)
    const ready = newcomer.events.find(ev => ev.event === 'ready')
    assert.equal(ready?.event === 'ready' ? ready.manifestVersion : undefined, 1)
    for (const daemon of staying) {
      await daemon.waitFor(() => /adopted manifest version 1/.test(daemon.stderr), 'the running member following version 1', patience)
      await daemon.waitFor(() => /now under manifest version 1: rule mean/.test(daemon.stderr), 'the running member switching to the mean', patience)
      const mark = before.get(daemon) as { round: number, accuracy: number }
      await daemon.waitFor(() => (daemon.lastRound) >= mark.round + 3, 'three rounds after the vote', patience)
      // Round numbers only go up: nobody started again at round 0.
      const rounds = daemon.rounds.map(r => r.round)
      assert.ok(rounds.every((r, i) => i === 0 || r > (rounds[i - 1] as number)), `rounds ${rounds.join(',')}`)
      // The model carried over: accuracy after the vote stays near where it was, far above an untrained model's.
      const after = daemon.rounds.filter(r => r.round > mark.round)
      assert.ok(after.every(r => r.accuracy >= Math.min(0.8, mark.accuracy) - 0.1), `accuracy before ${mark.accuracy}, after ${after.map(r => r.accuracy).join(',')}`)
      // No member was banned for relaying announcements of members on the other side of the vote.
      assert.doesNotMatch(daemon.stderr, /banned for/)
    }
    // The removed member is cut off: every member closed its connections and refuses it, so it
    // has no peer on the topic, hears no one and keeps its own model, round after round.
    const cutAt = dd.lastRound
    await dd.waitFor(() => dd.rounds.filter(r => r.round > cutAt).length >= 2, 'two rounds of the removed member after the vote', patience)
    const lonely = dd.rounds.filter(r => r.round > cutAt)
    assert.ok(lonely.every(r => r.peers === 0 && r.used === 0 && r.keptOwn), JSON.stringify(lonely))
  })
})
