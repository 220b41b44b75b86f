/**
 * `npm run bench:transfer [-- --quick] [-- --json] [-- --mb N] [-- --runs N]`: how fast one model
 * payload (40 MB by default) moves from one node to another on 127.0.0.1, over raw TCP (the
 * bound), the bulk channel (TLS 1.3 from node:tls, docs/wire.md §6.2) and the libp2p model
 * protocol (Noise and yamux), interleaved in one run; the server is a child process, as a peer
 * would be. Prints the median of each and the ratios to raw TCP; `transferRatio` is the bulk
 * channel's (target: at least 0.55). Both fetch paths check the payload's SHA-256, as a node does.
 */
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { connect, createServer } from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { createMeshtrainLibp2p } from '../src/network/index.ts'
import type { MeshtrainLibp2p } from '../src/network/index.ts'

const NETWORK_ID = 'b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0'
const { values: flags } = parseArgs({
  options: { quick: { type: 'boolean' }, json: { type: 'boolean' }, mb: { type: 'string' }, runs: { type: 'string' }, serve: { type: 'string' }, help: { type: 'boolean' } }
})
if (flags.help === true) {
  console.log('usage: npm run bench:transfer [-- --quick] [-- --json] [-- --mb N] [-- --runs N]')
  process.exit(0)
}

/** What the serving child tells the parent, as one JSON line. */
interface ServerInfo { readonly rawPort: number, readonly address: string, readonly peerId: string, readonly bulkPort: number, readonly hash: string }

async function startNode (maxPayloadBytes: number): Promise<MeshtrainLibp2p> {
  const node = await createMeshtrainLibp2p({
    privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], mdns: false, networkId: NETWORK_ID, maxPayloadBytes
  })
  await node.start()
  return node
}

/** The child: serve one payload over raw TCP, the bulk channel and the model protocol until stdin closes. */
async function serve (bytes: number): Promise<void> {
  const payload = randomBytes(bytes)
  const hash = createHash('sha256').update(payload).digest('hex')
  const raw = createServer(socket => { socket.end(payload) })
  await new Promise<void>(resolve => raw.listen(0, '127.0.0.1', resolve))
  const node = await startNode(bytes)
  const source = { lookup: (h: string) => (h === hash ? payload : undefined) }
  node.services.modelTransfer.servePayloads(source)
  node.services.bulkChannel.servePayloads(source)
  const address = node.getMultiaddrs()[0]?.toString() ?? ''
  const rawAddress = raw.address()
  const info: ServerInfo = {
    rawPort: typeof rawAddress === 'object' && rawAddress !== null ? rawAddress.port : 0,
    address,
    peerId: node.peerId.toString(),
    bulkPort: node.services.bulkChannel.port ?? 0,
    hash
  }
  console.log(JSON.stringify(info))
  process.stdin.resume()
  process.stdin.on('end', () => {
    raw.close()
    Promise.resolve(node.stop()).then(() => process.exit(0), () => process.exit(1))
  })
}

/**
 * Raw TCP: the bytes straight into a buffer of their own (net's `onread`: read in place, no
 * buffer per read, no second copy), nothing else. The bulk channel's client receives the same
 * way, so the two differ by TLS, the handshake and the hash, not by how they read.
 */
async function rawFetch (port: number, bytes: number): Promise<void> {
  const buffer = new Uint8Array(bytes)
  const overflow = new Uint8Array(65_536)
  let filled = 0
  await new Promise<void>((resolve, reject) => {
    const socket = connect({
      port,
      host: '127.0.0.1',
      onread: { buffer: () => (filled < bytes ? buffer.subarray(filled) : overflow), callback: count => { filled += count; return true } }
    })
    socket.on('end', () => {
      if (filled === bytes) resolve()
      else reject(new Error(`raw TCP: ${filled} of ${bytes} bytes`))
    })
    socket.on('error', reject)
  })
}

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

async function main (): Promise<void> {
  const quick = flags.quick === true
  const megabytes = Number(flags.mb ?? 40)
  const runs = Number(flags.runs ?? (quick ? 3 : 9))
  const bytes = Math.round(megabytes * 1e6)
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve', String(bytes)], { stdio: ['pipe', 'pipe', 'inherit'] })
  const info = await new Promise<ServerInfo>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', line => { resolve(JSON.parse(line) as ServerInfo) })
    child.once('exit', code => { reject(new Error(`the serving process exited with ${code}`)) })
  })
  const node = await startNode(bytes)
  try {
    const peer = peerIdFromString(info.peerId)
    await node.dial(multiaddr(info.address))
    const paths = {
      raw: async () => { await rawFetch(info.rawPort, bytes) },
      bulk: async () => { await node.services.bulkChannel.fetch(info.peerId, { host: '127.0.0.1', port: info.bulkPort }, info.hash, bytes) },
      libp2p: async () => { await node.services.modelTransfer.fetch(peer, info.hash, bytes) }
    }
    const names = Object.keys(paths) as Array<keyof typeof paths>
    const samples: Record<keyof typeof paths, number[]> = { raw: [], bulk: [], libp2p: [] }
    // One warm-up of each, then the runs, in an order that rotates so no path always goes first.
    for (const name of names) await paths[name]()
    for (let run = 0; run < runs; run++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(run + i) % names.length] as keyof typeof paths
        const started = performance.now()
        await paths[name]()
        samples[name].push(performance.now() - started)
      }
      if (flags.json !== true) console.error(`run ${run + 1}/${runs}: ${names.map(n => `${n} ${(samples[n].at(-1) as number).toFixed(0)} ms`).join(', ')}`)
    }
    const ms = { raw: median(samples.raw), bulk: median(samples.bulk), libp2p: median(samples.libp2p) }
    const mbps = (t: number): number => bytes / 1e6 / (t / 1000)
    const result = {
      command: `npm run bench:transfer${quick ? ' -- --quick' : ''}`,
      payloadBytes: bytes,
      runs,
      transferRatio: ms.raw / ms.bulk,
      libp2pRatio: ms.raw / ms.libp2p,
      bulkOverLibp2p: ms.libp2p / ms.bulk,
      medianMs: ms,
      megabytesPerSecond: { raw: mbps(ms.raw), bulk: mbps(ms.bulk), libp2p: mbps(ms.libp2p) },
      samplesMs: samples,
      target: 'transferRatio >= 0.55'
    }
    if (flags.json === true) {
      console.log(JSON.stringify(result))
    } else {
      console.log(`${(bytes / 1e6).toFixed(1)} MB, median of ${runs} interleaved runs on 127.0.0.1 (server in a child process):`)
      for (const name of names) console.log(`  ${name.padEnd(7)} ${ms[name].toFixed(0).padStart(6)} ms  ${mbps(ms[name]).toFixed(0).padStart(5)} MB/s  ${(ms.raw / ms[name]).toFixed(2)} of raw TCP`)
      console.log(`transferRatio (bulk channel / raw TCP): ${result.transferRatio.toFixed(2)} (target >= 0.55); the bulk channel is ${result.bulkOverLibp2p.toFixed(2)}x the libp2p protocol`)
    }
  } finally {
    await node.stop()
    child.stdin.end()
  }
}

if (typeof flags.serve === 'string') await serve(Number(flags.serve))
else await main()
