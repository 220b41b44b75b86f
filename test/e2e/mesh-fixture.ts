import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { NetworkManifest } from '../../src/protocol/index.ts'
import { freePorts, runCli, writeManifest } from './daemon-fixture.ts'
import type { DaemonProcess } from './daemon-fixture.ts'

export interface NodeDir { readonly dir: string, readonly peerId: string, readonly port: number }

/**
 * `meshtrain init` `count` nodes that bootstrap to each other over loopback, mDNS off, node i on
 * shard i of `count`, running until stopped (or for `options.rounds` rounds).
 */
export async function initMesh (base: string, manifest: NetworkManifest, count: number, options: { readonly rounds?: number, readonly minRoundMs?: number } = {}): Promise<NodeDir[]> {
  const manifestPath = await writeManifest(base, manifest)
  const ports = await freePorts(count)
  const nodes: NodeDir[] = []
  for (let i = 0; i < count; i++) {
    const dir = join(base, `node-${i}`)
    const { code, stdout, stderr } = await runCli(['init', '--data-dir', dir, '--manifest', manifestPath])
    assert.equal(code, 0, stderr)
    const peerId = /created node (\S+)/.exec(stdout)?.[1]
    assert.ok(peerId !== undefined, stdout)
    nodes.push({ dir, peerId, port: ports[i] as number })
  }
  for (const [i, node] of nodes.entries()) {
    await writeFile(join(node.dir, 'config.json'), JSON.stringify({
      listen: [`/ip4/127.0.0.1/tcp/${node.port}`],
      bootstrap: nodes.filter(n => n !== node).map(n => `/ip4/127.0.0.1/tcp/${n.port}/p2p/${n.peerId}`),
      mdns: false,
      shard: `${i}/${count}`,
      ...(options.rounds === undefined ? {} : { rounds: options.rounds }),
      ...(options.minRoundMs === undefined ? {} : { minRoundMs: options.minRoundMs })
    }))
  }
  return nodes
}

/** The text of `<dir>/api` once the daemon has written it. */
export async function apiAddressText (daemon: DaemonProcess, dir: string): Promise<string> {
  const deadline = Date.now() + 60_000
  for (;;) {
    const text = (await readFile(join(dir, 'api'), 'utf8').catch(() => '')).trim()
    if (text !== '') return text
    if (Date.now() > deadline || daemon.child.exitCode !== null) throw new Error(`no ${dir}/api; stderr:\n${daemon.stderr.slice(-2000)}`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

/** The API's base URL: a loopback address, as the fixture starts daemons with 127.0.0.1:0. */
export async function apiUrl (daemon: DaemonProcess, dir: string): Promise<string> {
  const text = await apiAddressText(daemon, dir)
  assert.match(text, /^127\.0\.0\.1:\d+$/)
  return `http://${text}`
}
