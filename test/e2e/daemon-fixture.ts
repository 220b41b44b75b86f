import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { initDataDir } from '../../src/node/index.ts'
import type { StatusEvent } from '../../src/node/index.ts'
import { freePorts } from '../../src/network/index.ts'
import type { NetworkManifest } from '../../src/protocol/index.ts'
import { COMPILED_MAIN, ensureCompiledPackage } from '../../src/cli/compiled-main.ts'

export { freePorts } from '../../src/network/index.ts'

/**
 * The command the end-to-end tests run: the compiled package in dist/, what `npm pack` ships,
 * built when older than src/ (src/cli/compiled-main.ts). Plain JavaScript starts without stripping the
 * types of some 150 modules: a fifth of a daemon's start-up CPU, and the suite starts over a
 * hundred daemons and more commands. The README's commands run from the sources
 * (readme-commands.test.ts).
 */
ensureCompiledPackage()
export const MAIN = COMPILED_MAIN

// Node's compile cache (V8's code cache on disk) for every process the tests start, and their
// worker threads: a daemon then loads its some 900 modules from code compiled by an earlier one
// instead of compiling them again, about 0.2 of its 1.5 s of start-up CPU. Only here, not in the
// product: a daemon keeps the cache's entries in memory for as long as it runs, 10 to 15 MiB of
// resident memory (`meshtrain start --rounds 6` alone: 200.0 to 205.7 MiB against 188.7 to
// 194.9), and a swarm's daemons are held to a memory budget (`npm run bench:memory`).
// NODE_DISABLE_COMPILE_CACHE=1 turns it off; a NODE_COMPILE_CACHE of the caller's own wins.
process.env.NODE_COMPILE_CACHE ??= join(tmpdir(), 'node-compile-cache')

/**
 * The `minRoundMs` setting of daemons in tests that need them running and exchanging models but
 * not training flat out: each starts a round at most every 2.5 s while the test waits on starts,
 * commands and attackers (rounds nobody looked at took most of the suite's CPU). Their networks'
 * round deadlines are longer, by 1.5 s at least: a node a little ahead of its peers must still
 * get their models before its deadline, or it closes every round without them (a governance run
 * with a 2-second deadline did, its newcomer never aggregating).
 */
export const PACED_ROUND_MS = 2_500

/** Run `meshtrain ARGS` to its end; resolves with its exit code and output. */
export function runCli (args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (b: Buffer) => { stdout += b.toString() })
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString() })
    child.on('error', reject)
    child.on('exit', code => resolve({ code, stdout, stderr }))
  })
}

/** A daemon process started with `meshtrain start`, whose JSON status lines are collected. */
export class DaemonProcess {
  readonly events: StatusEvent[] = []
  readonly child: ChildProcess
  stderr = ''
  readonly exited: Promise<number | null>
  readonly #waiters = new Set<() => void>()

  /**
   * @param wrapper a command the daemon runs under, e.g. `['ip', 'netns', 'exec', NAME]`.
   * @param args more flags for `meshtrain start` (they win over the ones given here).
   */
  constructor (dataDir: string, wrapper: readonly string[] = [], args: readonly string[] = []) {
    // API on any free port: many daemons share the host, and the default port would collide.
    const command = [...wrapper, process.execPath, MAIN, 'start', '--data-dir', dataDir, '--log-format', 'json', '--api', '127.0.0.1:0', ...args]
    this.child = spawn(command[0] as string, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] })
    let buffered = ''
    this.child.stdout?.setEncoding('utf8')
    this.child.stdout?.on('data', (chunk: string) => {
      buffered += chunk
      let newline
      while ((newline = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, newline)
        buffered = buffered.slice(newline + 1)
        if (line.startsWith('{')) this.events.push(JSON.parse(line) as StatusEvent)
      }
      this.#notify()
    })
    this.child.stderr?.on('data', (b: Buffer) => { this.stderr += b.toString() })
    this.exited = new Promise(resolve => this.child.on('exit', code => {
      this.#notify()
      resolve(code)
    }))
  }

  get rounds (): Extract<StatusEvent, { event: 'round' }>[] {
    return this.events.filter((e): e is Extract<StatusEvent, { event: 'round' }> => e.event === 'round')
  }

  get lastRound (): number {
    return this.rounds.at(-1)?.round ?? -1
  }

  /** Wait until `predicate` holds, failing after `timeoutMs` or if the process exits first. */
  async waitFor (predicate: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!predicate()) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`daemon exited (${this.child.exitCode ?? this.child.signalCode}) before ${what}; stderr:\n${this.stderr.slice(-3000)}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`timed out waiting for ${what}; stderr:\n${this.stderr.slice(-3000)}`)
      await new Promise<void>(resolve => {
        const timer = setTimeout(done, left)
        this.#waiters.add(done)
        function done (): void { clearTimeout(timer); resolve() }
      })
    }
  }

  stop (): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL')
  }

  #notify (): void {
    for (const w of this.#waiters) w()
    this.#waiters.clear()
  }
}

/** A temporary directory and the function that removes it. */
export interface TempDir { readonly path: string, readonly remove: () => Promise<void> }

/**
 * Call inside `describe`: each test gets a fresh temporary directory (`world.temp`), and the
 * daemons it pushes to `world.started` are stopped and the directory removed after it.
 */
export function daemonsPerTest (): { readonly started: DaemonProcess[], readonly temp: TempDir } {
  const world: { started: DaemonProcess[], temp: TempDir | undefined } = { started: [], temp: undefined }
  beforeEach(async () => { world.temp = await tempDir() })
  afterEach(async () => {
    for (const d of world.started.splice(0)) d.stop()
    await world.temp?.remove()
  })
  return {
    started: world.started,
    get temp (): TempDir {
      if (world.temp === undefined) throw new Error('daemonsPerTest: no test is running')
      return world.temp
    }
  }
}

/** A temporary directory, removed by the returned function. */
export async function tempDir (): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), 'meshtrain-test-'))
  return { path, remove: () => rm(path, { recursive: true, force: true }) }
}

/** Write a manifest file and return its path. */
export async function writeManifest (dir: string, manifest: unknown): Promise<string> {
  const path = join(dir, `manifest-${Math.random().toString(36).slice(2)}.json`)
  await writeFile(path, JSON.stringify(manifest))
  return path
}

/** A data directory made by {@link initLocalNodes}: its node's peer id, a leased port on 127.0.0.1 and its dial address there. */
export interface LocalNode { readonly dir: string, readonly peerId: string, readonly port: number, readonly address: string }

/** `count` data directories `parent/node-0` ... for `manifest`, each with a new identity and a port of its own. */
export async function initLocalNodes (parent: string, count: number, manifest: NetworkManifest): Promise<LocalNode[]> {
  const ports = await freePorts(count)
  return Promise.all(ports.map(async (port, i) => {
    const dir = join(parent, `node-${i}`)
    const peerId = peerIdFromPrivateKey(await initDataDir(dir, {}, manifest)).toString()
    return { dir, peerId, port, address: `/ip4/127.0.0.1/tcp/${port}/p2p/${peerId}` }
  }))
}
