import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseCommandLine } from '../../src/cli/args.ts'
import { SWARM_SETTINGS } from '../../src/cli/swarm-command.ts'
import { SETTINGS, resolveConfig, resolveSettings } from '../../src/node/index.ts'
import { runCli, tempDir } from './daemon-fixture.ts'

/**
 * The README's `npx meshtrain` commands, as written: `init` and `--help` run for real (the data
 * directory and files under a temporary directory); `start` and `swarm`, which need peers or a
 * minute, have every flag and value parsed by the real command-line code (the daemon and swarm
 * tests run both for real).
 */
const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
/** A valid peer id for the README's elided ones (`12D3KooWA...`). */
const PEER = '12D3KooWGRbqsxkHgD9eSRt8C1ZKSTLBYzTvr4rGhnCpcuUdASKo'

function readmeCommands (): string[][] {
  const lines = [...README.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap(m => (m[1] as string).split('\n'))
  const inline = [...README.matchAll(/`(npx meshtrain [^`]+)`/g)].map(m => m[1] as string)
  return [...lines, ...inline]
    .map(line => line.replace(/\s+#.*$/, '').trim())
    .filter(line => line.startsWith('npx meshtrain ') && line !== 'npx meshtrain ...')
    .map(line => line.split(/\s+/).slice(2).map(token => token.replace(/12D3Koo[A-Za-z]*\.\.\./, PEER)))
}

describe('the README\'s commands', function () {
  this.timeout(180_000)
  const commands = readmeCommands()

  it('finds the commands it shows', () => {
    assert.ok(commands.length >= 8, `found ${commands.length}`)
    assert.deepEqual([...new Set(commands.map(c => c[0]))].sort(), ['api-token', 'id', 'init', 'ledger', 'manifest', 'peers', 'privacy', 'rounds', 'start', 'status', 'swarm'])
  })

  it('runs every privacy command as written, and prints what the README shows after it', async () => {
    const lines = README.split('\n')
    const shown = lines.flatMap((line, i) => (line.startsWith('npx meshtrain privacy ') ? [{ command: line, output: /^#\s+-> (.*?)(\.\.\.\))?$/.exec(lines[i + 1] ?? '')?.[1] }] : []))
    assert.ok(shown.length >= 2, `found ${shown.length}`)
    for (const { command, output } of shown) {
      assert.ok(output !== undefined, `the README shows the output of ${command}`)
      const result = await runCli(command.split(/\s+/).slice(2))
      assert.equal(result.code, 0, `${command}: ${result.stderr}`)
      assert.ok(result.stdout.startsWith(output), `${command}: printed ${result.stdout}, the README shows ${output}`)
    }
  })

  it('runs every init and id as written, with the manifest the README shows, and every --help', async () => {
    const dir = await tempDir()
    try {
      const manifest = /```json\n([\s\S]*?)```/.exec(README)?.[1]
      assert.ok(manifest !== undefined, 'the README shows a manifest')
      await writeFile(join(dir.path, 'network.json'), manifest)
      let site = 0
      let closedDataDir = ''
      let lastInit = ''
      for (const command of commands.filter(c => c[0] === 'init' || c[0] === 'id' || c.includes('--help'))) {
        // Each init gets a data directory of its own under the temporary one; files named in the
        // README are the temporary directory's. Other commands read the last node made.
        const dataDir = command[0] === 'init' && !command.includes('--help') ? (lastInit = join(dir.path, `site-${site++}`)) : command[0] === 'init' ? join(dir.path, `site-${site++}`) : lastInit
        const args = command.map(t => t === '/var/lib/meshtrain' ? dataDir : t === 'network.json' ? join(dir.path, 'network.json') : t)
        const keyIndex = args.indexOf('--network-key')
        if (keyIndex >= 0) args[keyIndex + 1] = join(closedDataDir, 'network.key')
        if (args.includes('--closed')) closedDataDir = dataDir
        const result = await runCli(args)
        assert.equal(result.code, 0, `meshtrain ${command.join(' ')}: ${result.stderr}`)
      }
    } finally {
      await dir.remove()
    }
  })

  it('runs the manifest version commands as written: propose, sign by k admins, publish on every member, show', async () => {
    const dir = await tempDir()
    try {
      // Sites A, B and C are the admins (k = 2); A, B, C and E the genesis members; D joins, C leaves.
      const sites: Record<string, { dataDir: string, peerId: string }> = {}
      for (const name of ['A', 'B', 'C', 'D', 'E']) {
        const dataDir = join(dir.path, `site-${name}`)
        const made = await runCli(['init', '--data-dir', dataDir])
        assert.equal(made.code, 0, made.stderr)
        sites[name] = { dataDir, peerId: /created node (\S+)/.exec(made.stdout)?.[1] ?? '' }
      }
      const peer = (name: string): string => sites[name]?.peerId ?? ''
      const genesis = JSON.stringify({ ...JSON.parse(/```json\n([\s\S]*?)```/.exec(README)?.[1] ?? ''), members: ['A', 'B', 'C', 'E'].map(peer), admins: ['A', 'B', 'C'].map(peer), threshold: 2 })
      for (const site of Object.values(sites)) await writeFile(join(site.dataDir, 'manifest.json'), genesis)
      const governance = commands.filter(c => c[0] === 'manifest')
      assert.deepEqual(governance.map(c => c[1]), ['propose', 'sign', 'publish', 'show'])
      // The README's line as written: its data directory is the site's, its elided peer ids the sites'.
      const asWritten = (command: string[], site: string): string[] => {
        const line = README.split('\n').find(l => l.startsWith(`npx meshtrain manifest ${command[1]} `)) ?? ''
        return line.replace(/\s+#.*$/, '').trim().split(/\s+/).slice(2)
          .map(t => t === '/var/lib/meshtrain' ? sites[site]?.dataDir ?? '' : t === 'v1.json' ? join(dir.path, 'v1.json') : t.replace(/^12D3KooW([A-Z])\.\.\.$/, (_, name: string) => peer(name)))
      }
      const run = async (command: string[], site: string): Promise<string> => {
        const result = await runCli(asWritten(command, site))
        assert.equal(result.code, 0, `meshtrain ${command.join(' ')} on ${site}: ${result.stderr}`)
        return result.stdout
      }
      const [propose, sign, publish, show] = governance as [string[], string[], string[], string[]]
      await run(propose, 'E')
      assert.match(await run(sign, 'A'), /1 signature, 2 needed/)
      // One signature is not enough to publish.
      const early = await runCli(asWritten(publish, 'B'))
      assert.equal(early.code, 2)
      assert.match(early.stderr, /has 1 valid admin signature, needs 2 of the 3 admins of version 0/)
      assert.match(await run(sign, 'B'), /ready/)
      for (const site of ['A', 'B', 'D', 'E']) assert.match(await run(publish, site), /adopted manifest version 1/)
      const shown = await run(show, 'D')
      assert.match(shown, /manifest version 1 /)
      assert.match(shown, new RegExp(`members \\(4\\): ${['A', 'B', 'D', 'E'].map(peer).sort().join(', ')}`))
    } finally {
      await dir.remove()
    }
  })

  it('parses every flag and value of each start and swarm it shows', () => {
    for (const command of commands) {
      const [name, ...argv] = command
      if (name === 'start') resolveConfig({ flags: parseCommandLine(argv, SETTINGS).flags })
      if (name === 'swarm') resolveSettings(SWARM_SETTINGS, { flags: parseCommandLine(argv, SWARM_SETTINGS).flags })
    }
  })
})
