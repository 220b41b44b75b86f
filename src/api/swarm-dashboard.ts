import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ApiAddress } from '../api-endpoint/index.ts'
import { MAX_API_CONNECTIONS, MAX_EVENT_STREAM_BACKLOG_BYTES, MAX_REQUEST_HEADER_BYTES, REQUEST_TIMEOUT_MS } from './api-server.ts'
import type { StaticPage } from './api-server.ts'
import { MAX_ROUND_HISTORY } from '../api-endpoint/index.ts'
import { MAX_EVENT_LISTENERS } from './node-state.ts'

/** One node of a swarm, as its dashboard shows it. */
export interface SwarmNodeView {
  readonly index: number
  readonly peerId: string
  readonly byzantine: boolean
  /** The node's own API (and dashboard), once it listens; null before. */
  api: string | null
  readonly rounds: SwarmRound[]
}

/** One round of one node, from its status line. */
export interface SwarmRound {
  readonly round: number
  readonly peers: number
  readonly used: number
  readonly refused: number
  readonly loss: number
  readonly accuracy: number
  readonly durationMs: number
  /** The audit ledger's time on the round's critical path after it, ms. */
  readonly ledgerMs: number
}

/**
 * The dashboard of `meshtrain swarm`: every node on the same charts, attackers marked. It serves
 * what the swarm reads from its daemons' status lines (so it needs nothing from their APIs) on
 * loopback: `/` (the page), `/api/v1/swarm` (nodes and their rounds), `/api/v1/events` (each
 * round as it closes), and the page's assets.
 */
export class SwarmDashboard {
  readonly #nodes: SwarmNodeView[] = []
  readonly #pages: ReadonlyMap<string, StaticPage>
  readonly #streams = new Set<ServerResponse>()
  readonly #totalRounds: number
  #server: Server | undefined
  #address: ApiAddress | undefined

  constructor (pages: ReadonlyMap<string, StaticPage>, totalRounds: number) {
    this.#pages = pages
    this.#totalRounds = totalRounds
  }

  get address (): ApiAddress | undefined { return this.#address }

  /** The nodes by index. */
  get nodes (): readonly SwarmNodeView[] { return this.#nodes }

  addNode (index: number, peerId: string, byzantine: boolean): void {
    this.#nodes[index] = { index, peerId, byzantine, api: null, rounds: [] }
  }

  setNodeApi (index: number, api: string): void {
    const node = this.#nodes[index]
    if (node !== undefined) node.api = api
  }

  /** The rounds of node `index` so far, oldest first. */
  roundsOf (index: number): readonly SwarmRound[] {
    return this.#nodes[index]?.rounds ?? []
  }

  recordRound (index: number, round: SwarmRound): void {
    const node = this.#nodes[index]
    if (node === undefined) return
    node.rounds.push(round)
    if (node.rounds.length > MAX_ROUND_HISTORY) node.rounds.shift()
    const text = `event: round\ndata: ${JSON.stringify({ index, ...round })}\n\n`
    for (const res of this.#streams) {
      if (res.writableLength > MAX_EVENT_STREAM_BACKLOG_BYTES) res.destroy()
      else res.write(text)
    }
  }

  /** Listen on `address` (loopback, port 0 by default). Idempotent. */
  async start (address: ApiAddress = { host: '127.0.0.1', port: 0 }): Promise<ApiAddress> {
    if (this.#server !== undefined && this.#address !== undefined) return this.#address
    const server = createServer({ maxHeaderSize: MAX_REQUEST_HEADER_BYTES, requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: REQUEST_TIMEOUT_MS }, (req, res) => { this.#handle(req, res) })
    server.maxConnections = MAX_API_CONNECTIONS
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({ host: address.host, port: address.port }, resolve)
    })
    this.#server = server
    const bound = server.address() as AddressInfo
    this.#address = Object.freeze({ host: bound.address, port: bound.port })
    return this.#address
  }

  /** Close the event streams and the server. Idempotent. */
  async stop (): Promise<void> {
    const server = this.#server
    if (server === undefined) return
    this.#server = undefined
    for (const res of this.#streams) res.end()
    this.#streams.clear()
    await new Promise<void>(resolve => {
      server.close(() => { resolve() })
      server.closeAllConnections()
    })
  }

  #handle (req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://swarm.invalid')
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'method-not-allowed', message: `${req.method ?? '?'} ${url.pathname}: only GET and HEAD are allowed` }, { allow: 'GET, HEAD' })
    if (url.search !== '') return json(res, 400, { error: 'unknown-parameter', message: `${url.pathname} takes no query parameters` })
    const page = this.#pages.get(url.pathname)
    if (page !== undefined) {
      res.writeHead(200, { 'content-type': page.contentType, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff', ...(page.csp === undefined ? {} : { 'content-security-policy': page.csp }) })
      return void res.end(page.body)
    }
    if (url.pathname === '/api/v1/swarm') return json(res, 200, { rounds: this.#totalRounds, nodes: this.#nodes.filter(n => n !== undefined) })
    if (url.pathname === '/api/v1/events') {
      if (this.#streams.size >= MAX_EVENT_LISTENERS) return json(res, 503, { error: 'too-many-streams', message: 'too many event streams open: try again later' }, { 'retry-after': '5' })
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' })
      res.write(': meshtrain swarm events: round\n\n')
      this.#streams.add(res)
      res.on('close', () => { this.#streams.delete(res) })
      return
    }
    json(res, 404, { error: 'unknown-route', message: `no route ${url.pathname}; routes: ${[...this.#pages.keys(), '/api/v1/swarm', '/api/v1/events'].join(', ')}` })
  }
}

function json (res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers })
  res.end(JSON.stringify(body) + '\n')
}
