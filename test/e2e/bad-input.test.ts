import assert from 'node:assert/strict'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { dataDirPaths, initDataDir, saveCheckpoint } from '../../src/node/index.ts'
import { DEFAULT_MANIFEST, networkId, parameterCount } from '../../src/protocol/index.ts'
import { runCli, tempDir, writeManifest } from './daemon-fixture.ts'

/**
 * Bad input, as an operator or an attacker types it, against the real `meshtrain` command: every
 * case ends with the exit status it should (2 bad input, 1 runtime failure) and one line on stderr
 * that names the setting (or file) at fault. No stack trace, no libp2p or decoder message alone.
 */
interface Case {
  readonly name: string
  /** The command's arguments; `DIR` is replaced by a fresh data directory made by `prepare`. */
  readonly args: readonly string[]
  readonly status: 1 | 2
  /** What the one line must say: the setting, and what is wrong. */
  readonly says: RegExp
  /** Make the data directory's state (after a plain init) bad in this case's way. */
  readonly prepare?: (dataDir: string, scratch: string) => Promise<void>
}

const ID = networkId(DEFAULT_MANIFEST)
const PARAMETERS = parameterCount(DEFAULT_MANIFEST.model)
const PEER = '12D3KooWGRbqsxkHgD9eSRt8C1ZKSTLBYzTvr4rGhnCpcuUdASKo'
const { model, training, rounds } = DEFAULT_MANIFEST

async function checkpointOfRound (dataDir: string, round: number): Promise<void> {
  await saveCheckpoint(dataDirPaths(dataDir).checkpoints, { networkId: ID, round, weights: new Float32Array(PARAMETERS) })
}

function manifestCase (name: string, manifest: unknown, says: RegExp): Case {
  return {
    name: `init --manifest: ${name}`,
    args: ['init', '--data-dir', 'DIR/new', '--manifest', 'DIR/manifest.json'],
    status: 2,
    says,
    prepare: async dataDir => { await writeFile(join(dataDir, 'manifest.json'), JSON.stringify(manifest)) }
  }
}

const CASES: readonly Case[] = [
  { name: 'listen: a bad IP', args: ['start', '--data-dir', 'DIR', '--listen', '/ip4/1.2.3.999/tcp/7171'], status: 2, says: /^--listen: got .*Invalid IPv4 address/ },
  { name: 'listen: a port that is not a number', args: ['start', '--data-dir', 'DIR', '--listen', '/ip4/127.0.0.1/tcp/http'], status: 2, says: /^--listen: got .*tcp\/http/ },
  { name: 'listen: a port above 65535', args: ['start', '--data-dir', 'DIR', '--listen', '/ip4/127.0.0.1/tcp/65536'], status: 2, says: /^--listen: got .*65535/ },
  { name: 'listen: a UDP address', args: ['start', '--data-dir', 'DIR', '--listen', '/ip4/127.0.0.1/udp/7171'], status: 2, says: /^--listen: got .*not of the form \/ip4\/HOST\/tcp\/PORT/ },
  { name: 'listen: a foreign (DNS) address', args: ['start', '--data-dir', 'DIR', '--listen', '/dns4/example.com/tcp/7171'], status: 2, says: /^--listen: got .*not of the form/ },
  { name: 'listen: the empty string', args: ['start', '--data-dir', 'DIR', '--listen='], status: 2, says: /^--listen: got \[""\].*no address given/ },
  { name: 'bootstrap: a bad peer id', args: ['start', '--data-dir', 'DIR', '--bootstrap', '/ip4/127.0.0.1/tcp/7171/p2p/QmNotAPeer'], status: 2, says: /^--bootstrap: got .*bad peer id QmNotAPeer/ },
  { name: 'bootstrap: no leading slash', args: ['start', '--data-dir', 'DIR', '--bootstrap', `ip4/127.0.0.1/tcp/7171/p2p/${PEER}`], status: 2, says: /^--bootstrap: got .*must start with "\/"/ },
  { name: 'rounds: negative, written --rounds -1', args: ['start', '--data-dir', 'DIR', '--rounds', '-1'], status: 2, says: /^--rounds needs a value; for one that starts with a dash write --rounds=VALUE/ },
  { name: 'rounds: negative, written --rounds=-1', args: ['start', '--data-dir', 'DIR', '--rounds=-1'], status: 2, says: /^--rounds: got "-1", expected a whole number from 0 to 10000000/ },
  { name: 'rounds: 1e30', args: ['start', '--data-dir', 'DIR', '--rounds', '1e30'], status: 2, says: /^--rounds: got "1e30", expected a whole number/ },
  { name: 'swarm --nodes 2 (too few for the default rule)', args: ['swarm', '--nodes', '2'], status: 2, says: /^--nodes: got 2, too few for the network's rule trimmed-mean with f=1, which needs 3 models a round/ },
  { name: 'swarm --nodes 0', args: ['swarm', '--nodes', '0'], status: 2, says: /^--nodes: got "0", expected a whole number from 2/ },
  {
    name: 'checkpoint: a negative round', args: ['start', '--data-dir', 'DIR'], status: 2, says: /latest\.ckpt: round -1 is not an integer from 0 to 1099511627775/,
    prepare: async dataDir => { await checkpointOfRound(dataDir, -1) }
  },
  {
    name: 'checkpoint: round 2^53-1', args: ['start', '--data-dir', 'DIR'], status: 2, says: /latest\.ckpt: round 9007199254740991 is not an integer from 0/,
    prepare: async dataDir => { await checkpointOfRound(dataDir, 2 ** 53 - 1) }
  },
  {
    name: 'checkpoint: latest.ckpt is a directory', args: ['start', '--data-dir', 'DIR'], status: 2, says: /checkpoints\/latest\.ckpt is a directory, expected a checkpoint file/,
    prepare: async dataDir => { await mkdir(join(dataDirPaths(dataDir).checkpoints, 'latest.ckpt'), { recursive: true }) }
  },
  {
    name: 'checkpoint: checkpoints is a file', args: ['start', '--data-dir', 'DIR'], status: 2, says: /checkpoints is not a directory/,
    prepare: async dataDir => { await writeFile(dataDirPaths(dataDir).checkpoints, 'not a directory') }
  },
  manifestCase('an unknown top-level key', { ...DEFAULT_MANIFEST, learningRate: 0.1 }, /manifest\.json: "learningRate": unknown setting; known: name, model/),
  manifestCase('a 10 MB name', { ...DEFAULT_MANIFEST, name: 'x'.repeat(10_000_000) }, /manifest\.json: name: got "x{76}\.\.\., expected a non-empty string of at most 256 characters/),
  manifestCase('a model of 4.3 billion parameters', { ...DEFAULT_MANIFEST, model: { inputSize: 65536, hiddenLayers: [{ type: 'dense', units: 65536, activation: 'relu' }], classes: 2 } },
    /manifest\.json: model: 4295163906 parameters \(inputSize, hiddenLayers and classes\), at most 16777216/),
  manifestCase('localSteps 1,000,000', { ...DEFAULT_MANIFEST, training: { ...training, localSteps: 1_000_000 } }, /manifest\.json: training\.localSteps: got 1000000, expected an integer from 1 to 100000/),
  manifestCase('rounds 1e30', { ...DEFAULT_MANIFEST, rounds: 1e30 }, /manifest\.json: rounds: got 1e\+30, expected an object/),
  manifestCase('rounds.deadlineMs 1e30', { ...DEFAULT_MANIFEST, rounds: { ...rounds, deadlineMs: 1e30 } }, /manifest\.json: rounds\.deadlineMs: got 1e\+30, expected an integer from 100/),
  manifestCase('hiddenLayers units 2^16 + 1', { ...DEFAULT_MANIFEST, model: { ...model, hiddenLayers: [{ type: 'dense', units: 65537, activation: 'relu' }] } }, /manifest\.json: model\.hiddenLayers\[0\]\.units: got 65537/)
]

describe('bad input: exit status and one line naming the setting', function () {
  this.timeout(120_000)
  let scratch: { path: string, remove: () => Promise<void> }
  before(async () => { scratch = await tempDir() })
  after(async () => { await scratch.remove() })

  async function check (c: Case, extra: readonly string[] = []): Promise<void> {
    const dataDir = join(scratch.path, c.name.replace(/[^a-z0-9]+/gi, '-'))
    await initDataDir(dataDir, {}, DEFAULT_MANIFEST)
    await c.prepare?.(dataDir, scratch.path)
    const args = [...c.args.map(a => a.replace(/^DIR/, dataDir)), ...extra]
    const { code, stderr } = await runCli(args)
    const lines = stderr.split('\n').filter(l => l !== '')
    assert.equal(lines.length, 1, `${c.name}: one line on stderr, got:\n${stderr.slice(0, 2000)}`)
    const line = (lines[0] as string).replace(/^meshtrain: /, '')
    assert.ok((lines[0] as string).startsWith('meshtrain: '), line)
    assert.match(line, c.says)
    assert.ok(line.length < 1000, `${c.name}: a line of ${line.length} characters`)
    assert.equal(code, c.status, `${c.name}: ${line}`)
    await rm(dataDir, { recursive: true, force: true })
  }

  for (const c of CASES) {
    it(`${c.name} -> exit ${c.status}`, async () => { await check(c) })
  }

  it('listen: a port in use -> exit 1, naming the address', async () => {
    const server = createServer()
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as AddressInfo).port
    try {
      await check({
        name: 'port in use',
        args: ['start', '--data-dir', 'DIR', '--listen', `/ip4/127.0.0.1/tcp/${port}`, '--no-mdns', '--rounds', '1'],
        status: 1,
        says: new RegExp(`^cannot listen on /ip4/127\\.0\\.0\\.1/tcp/${port}: address already in use$`)
      })
    } finally {
      server.close()
    }
  })

  it('control: init with a good manifest file exits 0 (the cases above fail for their own reason)', async () => {
    const path = await writeManifest(scratch.path, DEFAULT_MANIFEST)
    const { code, stderr } = await runCli(['init', '--data-dir', join(scratch.path, 'good'), '--manifest', path])
    assert.equal(code, 0, stderr)
  })
})
