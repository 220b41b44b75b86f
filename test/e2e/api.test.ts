import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { request } from 'node:http'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { METRIC_HELP } from '../../src/api/index.ts'
import type { PeerView, RoundRecord } from '../../src/api/index.ts'
import { DEFAULT_MANIFEST } from '../../src/protocol/index.ts'
import { DaemonProcess, MAIN, PACED_ROUND_MS, runCli, tempDir } from './daemon-fixture.ts'
import { apiAddressText, apiUrl, initMesh } from './mesh-fixture.ts'
import type { NodeDir } from './mesh-fixture.ts'
import { parsePrometheusText } from './prometheus-text.ts'

/** A raw HTTP request (fetch cannot send a body with GET). */
function raw (url: string, method: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number, headers: Record<string, unknown>, body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, res => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { text += c })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

async function getJson<T> (url: string): Promise<{ status: number, body: T }> {
  const res = await fetch(url)
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
  return { status: res.status, body: await res.json() as T }
}

const ROUND_KEYS = ['accuracy', 'aggregationMs', 'bytesFetched', 'durationMs', 'evaluationMs', 'finishedAt', 'keptOwn', 'loss', 'peers', 'refused', 'round', 'trainingMs', 'used', 'waitMs']

describe('the HTTP API of real daemons, and the commands that use it', function () {
  this.timeout(240_000)
  const started: DaemonProcess[] = []
  let temp: Awaited<ReturnType<typeof tempDir>>
  let nodes: NodeDir[]
  let url: string

  before(async () => {
    temp = await tempDir()
    nodes = await initMesh(temp.path, { ...DEFAULT_MANIFEST, rounds: { quorum: 2, deadlineMs: 4_000, window: 2 } }, 3, { minRoundMs: PACED_ROUND_MS })
    started.push(...nodes.map(n => new DaemonProcess(n.dir)))
    const a = started[0] as DaemonProcess
    url = await apiUrl(a, nodes[0]?.dir as string)
    for (const d of started) await d.waitFor(() => d.lastRound >= 1, 'two rounds')
  })
  after(async () => {
    for (const d of started.splice(0)) d.stop()
    await temp.remove()
  })

  it('answers every route with the documented shape', async () => {
    const a = started[0] as DaemonProcess
    assert.deepEqual((await getJson(`${url}/livez`)).body, { live: true })
    assert.deepEqual(await getJson(`${url}/readyz`), { status: 200, body: { ready: true, reasons: [] } })

    const node = (await getJson<Record<string, unknown>>(`${url}/api/v1/node`)).body
    assert.deepEqual(Object.keys(node).sort(), ['addresses', 'api', 'backend', 'networkId', 'parameters', 'peerId', 'rule', 'version'])
    const ready = a.events.find(e => e.event === 'ready')
    assert.ok(ready !== undefined && ready.event === 'ready')
    assert.equal(node.peerId, nodes[0]?.peerId)
    assert.equal(node.networkId, ready.networkId)
    assert.equal(node.backend, ready.backend)
    assert.equal(node.rule, ready.rule)
    assert.equal(node.parameters, ready.parameters)
    assert.deepEqual(node.addresses, ready.addresses)
    assert.equal(`http://${String(node.api)}`, url)
    assert.equal(node.version, JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')).version)

    const status = (await getJson<Record<string, unknown>>(`${url}/api/v1/status`)).body
    assert.deepEqual(Object.keys(status).sort(), ['accuracy', 'keptOwn', 'loss', 'peers', 'phase', 'privacy', 'ready', 'reasons', 'refused', 'round', 'uptimeSeconds', 'used'])
    assert.ok(typeof status.round === 'number' && status.round >= 1 && status.round <= a.lastRound + 1, `status round ${String(status.round)}, stdout says ${a.lastRound}`)
    const stdoutRound = a.rounds.find(r => r.round === status.round)
    if (stdoutRound !== undefined) {
      assert.equal(status.used, stdoutRound.used)
      assert.equal(Math.round((status.accuracy as number) * 1e4) / 1e4, stdoutRound.accuracy)
    }
    assert.ok(['training', 'waiting', 'evaluating'].includes(status.phase as string), String(status.phase))
    assert.equal(status.peers, 2)
    assert.equal(status.ready, true)
    assert.deepEqual(status.reasons, [])

    const { peers } = (await getJson<{ peers: PeerView[] }>(`${url}/api/v1/peers`)).body
    assert.deepEqual(peers.map(p => p.peerId).sort(), [nodes[1]?.peerId, nodes[2]?.peerId].sort())
    for (const p of peers) {
      assert.deepEqual(Object.keys(p).sort(), ['addresses', 'bannedUntil', 'connected', 'graylisted', 'lastModelHash', 'lastRound', 'latencyMs', 'peerId', 'score', 'verdicts'])
      assert.equal(p.connected, true)
      assert.ok(p.addresses.every(addr => addr.startsWith('/ip4/127.0.0.1/tcp/')), String(p.addresses))
      assert.equal(typeof p.score, 'number')
      assert.ok(p.lastRound !== null && p.lastRound >= 1, `last round ${p.lastRound}`)
      assert.match(p.lastModelHash ?? '', /^[0-9a-f]{64}$/)
      assert.ok((p.verdicts.accept ?? 0) >= 2, JSON.stringify(p.verdicts))
      assert.equal(p.graylisted, false)
      assert.equal(p.bannedUntil, null)
    }

    const rounds = (await getJson<{ since: number, latest: number, truncated: boolean, rounds: RoundRecord[] }>(`${url}/api/v1/rounds?since=0`)).body
    assert.equal(rounds.truncated, false)
    assert.deepEqual(rounds.rounds.map(r => r.round), Array.from({ length: rounds.latest + 1 }, (_, i) => i))
    for (const r of rounds.rounds) {
      assert.deepEqual(Object.keys(r).sort(), ROUND_KEYS)
      const line = a.rounds.find(s => s.round === r.round)
      assert.ok(line !== undefined)
      assert.deepEqual([r.used, r.refused, r.peers, Math.round(r.accuracy * 1e4) / 1e4], [line.used, line.refused, line.peers, line.accuracy])
      assert.ok(r.trainingMs > 0 && r.trainingMs + r.waitMs + r.aggregationMs + r.evaluationMs <= r.durationMs + 1, JSON.stringify(r))
    }
    assert.ok(rounds.rounds.some(r => r.bytesFetched > 0))
    const later = (await getJson<{ rounds: RoundRecord[] }>(`${url}/api/v1/rounds?since=${rounds.latest + 1000}`)).body
    assert.deepEqual(later.rounds, [])
  })

  it('streams round and peer events', async () => {
    const controller = new AbortController()
    const res = await fetch(`${url}/api/v1/events`, { signal: controller.signal })
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/)
    const latest = (started[0] as DaemonProcess).lastRound
    let text = ''
    const decoder = new TextDecoder()
    const deadline = setTimeout(() => controller.abort(), 30_000)
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        text += decoder.decode(chunk, { stream: true })
        if (/event: round\ndata: .*\n\n/.test(text)) break
      }
    } finally {
      clearTimeout(deadline)
      controller.abort()
    }
    const data = /event: round\ndata: (.*)\n\n/.exec(text)?.[1]
    assert.ok(data !== undefined, `no round event within 30 s: ${text}`)
    const record = JSON.parse(data) as RoundRecord
    assert.deepEqual(Object.keys(record).sort(), ROUND_KEYS)
    assert.ok(record.round > latest - 1, `streamed round ${record.round}, stdout was at ${latest}`)
  })

  it('serves /metrics in the Prometheus text format with every documented name, libp2p\'s and gossipsub\'s', async () => {
    const res = await fetch(`${url}/metrics`)
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
    const families = parsePrometheusText(await res.text())
    for (const [name, help] of Object.entries(METRIC_HELP)) {
      const f = families.get(name)
      assert.ok(f !== undefined, `no ${name}`)
      assert.equal(f.help, help)
      assert.ok(f.samples.length > 0, `${name} has no sample`)
    }
    const value = (name: string, labels: Record<string, string> = {}): number | undefined =>
      [...families.values()].flatMap(f => f.samples).find(s => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value
    const roundNow = value('meshtrain_round') ?? -1
    assert.ok(roundNow >= 1, `meshtrain_round ${roundNow}`)
    assert.equal(value('meshtrain_peers_connected'), 2)
    assert.ok((value('meshtrain_models_received_total', { result: 'accept' }) ?? 0) >= 2)
    assert.ok((value('meshtrain_payload_fetched_bytes_total') ?? 0) > 0)
    assert.ok((value('meshtrain_round_duration_seconds_count') ?? 0) >= 2)
    const accuracy = value('meshtrain_holdout_accuracy_ratio') ?? -1
    assert.ok(accuracy > 0 && accuracy <= 1, `accuracy ${accuracy}`)
    assert.ok([...families.keys()].some(n => n.startsWith('libp2p_')), 'no libp2p metric')
    assert.ok(families.has('gossipsub_mesh_peer_count'), 'no gossipsub metric')
    assert.ok(families.has('process_cpu_seconds_total') && families.has('nodejs_heap_size_used_bytes'), 'no process metrics')
  })

  it('refuses bad requests with 4xx JSON naming what is wrong', async () => {
    const cases: Array<[string, string, Record<string, string>, string | undefined, number, RegExp]> = [
      ['/nope', 'GET', {}, undefined, 404, /no route \/nope; routes: \/livez/],
      ['/api/v1/status', 'POST', {}, undefined, 405, /POST \/api\/v1\/status: only GET and HEAD/],
      ['/api/v1/rounds?since=-1', 'GET', {}, undefined, 400, /since: got "-1", expected a round number/],
      ['/api/v1/rounds?since=abc', 'GET', {}, undefined, 400, /since: got "abc"/],
      ['/api/v1/rounds?from=1', 'GET', {}, undefined, 400, /unknown query parameter "from"; allowed: since/],
      ['/api/v1/peers?x=1', 'GET', {}, undefined, 400, /unknown query parameter "x"; allowed: none/],
      ['/api/v1/status', 'GET', { 'content-length': '5000' }, 'x'.repeat(5000), 413, /request body of 5000 bytes: at most 1024/]
    ]
    for (const [path, method, headers, body, status, message] of cases) {
      const res = await raw(url + path, method, headers, body)
      assert.equal(res.status, status, `${method} ${path}: ${res.body}`)
      assert.match(String(res.headers['content-type']), /^application\/json/)
      const json = JSON.parse(res.body) as { error: string, message: string }
      assert.match(json.message, message)
      assert.match(json.error, /^[a-z-]+$/)
      if (status === 405) assert.equal(res.headers.allow, 'GET, HEAD')
    }
  })

  it('status, peers and rounds --json work against the live node', async () => {
    const dir = nodes[0]?.dir as string
    const status = await runCli(['status', '--data-dir', dir, '--json'])
    assert.equal(status.code, 0, status.stderr)
    const s = JSON.parse(status.stdout) as { ready: boolean, round: number, peers: number, reasons: string[] }
    assert.equal(s.ready, true)
    assert.deepEqual(s.reasons, [])
    assert.ok(s.round >= 1)
    const text = await runCli(['status', '--data-dir', dir])
    assert.equal(text.code, 0)
    assert.match(text.stdout, /^ready {2}round \d+ {2}phase \w+ {2}peers 2\nloss \d\.\d{4} {2}held-out accuracy \d\.\d{4}/)

    const peers = await runCli(['peers', '--data-dir', dir, '--json'])
    assert.equal(peers.code, 0, peers.stderr)
    assert.deepEqual((JSON.parse(peers.stdout) as PeerView[]).map(p => p.peerId).sort(), [nodes[1]?.peerId, nodes[2]?.peerId].sort())
    const peersText = await runCli(['peers', '--data-dir', dir])
    assert.equal(peersText.stdout.trim().split('\n').length, 2)
    assert.match(peersText.stdout, /connected {2}(\d+ ms|latency -) {2}score -?\d+\.\d\d {2}round \d+ \([0-9a-f]{8}\) {2}accept \d+/)

    const rounds = await runCli(['rounds', '--data-dir', dir, '--json'])
    assert.equal(rounds.code, 0, rounds.stderr)
    const list = JSON.parse(rounds.stdout) as RoundRecord[]
    assert.ok(list.length >= 2)
    assert.deepEqual(list.map(r => r.round), list.map((_, i) => i))
  })

  it('rounds --follow prints new rounds as they close', async () => {
    const child = spawn(process.execPath, [MAIN, 'rounds', '--data-dir', nodes[0]?.dir as string, '--follow', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
    try {
      const before = (started[0] as DaemonProcess).lastRound
      const seen: number[] = []
      let buffered = ''
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no new round within 30 s; got ${seen.join(',')}`)), 30_000)
        child.stdout.setEncoding('utf8')
        child.stdout.on('data', (chunk: string) => {
          buffered += chunk
          const lines = buffered.split('\n')
          buffered = lines.pop() ?? ''
          for (const line of lines) seen.push((JSON.parse(line) as RoundRecord).round)
          if (seen.some(r => r > before + 1)) { clearTimeout(timer); resolve() }
        })
        child.on('exit', code => { clearTimeout(timer); reject(new Error(`rounds --follow exited ${code}`)) })
      })
      // Every round once, in order, with none missing.
      assert.deepEqual(seen, seen.map((_, i) => i))
    } finally {
      child.kill('SIGINT')
    }
  })

  it('the commands exit 2 against a stopped node (address file removed, or left behind by a kill)', async () => {
    const c = started[2] as DaemonProcess
    const dir = nodes[2]?.dir as string
    await apiUrl(c, dir)
    c.child.kill('SIGKILL')
    await c.exited
    for (const command of ['status', 'peers', 'rounds']) {
      const r = await runCli([command, '--data-dir', dir, '--json'])
      assert.equal(r.code, 2, `${command}: ${r.stdout}${r.stderr}`)
      assert.match(r.stderr, /^meshtrain: the node's API at http:\/\/127\.0\.0\.1:\d+ does not answer \(ECONNREFUSED\): is the node running\?\n$/)
    }
    const b = started[1] as DaemonProcess
    b.child.kill('SIGTERM')
    assert.equal(await b.exited, 0, b.stderr.slice(-2000))
    for (const command of ['status', 'peers', 'rounds']) {
      const r = await runCli([command, '--data-dir', nodes[1]?.dir as string])
      assert.equal(r.code, 2, `${command}: ${r.stdout}${r.stderr}`)
      assert.match(r.stderr, /api is missing \(not started, stopped, or started with --no-api\)/)
    }
  })

  it('a node bound beyond loopback refuses to start without a token, and with one answers 401 to requests without it', async () => {
    const dir = join(temp.path, 'exposed')
    assert.equal((await runCli(['init', '--data-dir', dir])).code, 0)
    const refused = await runCli(['start', '--data-dir', dir, '--api', '0.0.0.0:0', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns'])
    assert.equal(refused.code, 2, refused.stderr)
    assert.match(refused.stderr, /^meshtrain: --api 0\.0\.0\.0:0 is not a loopback address: it needs a bearer token in .*api-token \(create it with: meshtrain api-token --data-dir .*\), or bind to 127\.0\.0\.1\n$/)

    const created = await runCli(['api-token', '--data-dir', dir])
    assert.equal(created.code, 0, created.stderr)
    assert.match(created.stdout, /created .*api-token \(mode 0600\)/)
    const token = (await readFile(join(dir, 'api-token'), 'utf8')).trim()
    assert.doesNotMatch(created.stdout, new RegExp(token))

    const exposed = new DaemonProcess(dir, [], ['--api', '0.0.0.0:0', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns'])
    started.push(exposed)
    const text = await apiAddressText(exposed, dir)
    const port = /^0\.0\.0\.0:(\d+)$/.exec(text)?.[1]
    assert.ok(port !== undefined, text)
    const base = `http://127.0.0.1:${port}`
    for (const path of ['/livez', '/api/v1/node', '/metrics']) {
      const res = await fetch(base + path)
      assert.equal(res.status, 401, path)
      assert.equal(res.headers.get('www-authenticate'), 'Bearer')
      assert.match(((await res.json()) as { message: string }).message, /needs Authorization: Bearer <token>/)
      assert.equal((await fetch(base + path, { headers: { authorization: 'Bearer wrong' } })).status, 401)
      assert.equal((await fetch(base + path, { headers: { authorization: `Bearer ${token}` } })).status, 200)
    }
    // The command reads the token beside the address: alone, this node is up but not ready.
    const status = await runCli(['status', '--data-dir', dir, '--json'])
    assert.equal(status.code, 1, status.stderr)
    assert.match(status.stderr, /not ready: no peer connected/)
  })
})
