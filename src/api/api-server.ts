import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { rm, writeFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import type { Startable } from '@libp2p/interface'
import { RuntimeFailure } from '../errors/index.ts'
import { API_ADDRESS_FILE, bearerMatches, formatApiAddress, isLoopbackHost } from '../api-endpoint/index.ts'
import type { ApiAddress } from '../api-endpoint/index.ts'
import type { MeshtrainMetrics } from './meshtrain-metrics.ts'
import type { NodeEvent, NodeState } from './node-state.ts'
import type { PeerView } from './peer-views.ts'

/** Largest request body accepted, bytes. No route takes a body; a small one is tolerated and ignored. */
export const MAX_REQUEST_BODY_BYTES = 1024
/** Largest request head (request line and headers), bytes. */
export const MAX_REQUEST_HEADER_BYTES = 8192
/** A request must be complete within this, ms (slow clients cannot hold sockets). */
export const REQUEST_TIMEOUT_MS = 10_000
/** Connections open at once. */
export const MAX_API_CONNECTIONS = 128
/** Round records in one `/api/v1/rounds` answer; ask again with a higher `since` for more. */
export const MAX_ROUNDS_PER_RESPONSE = 1000
/** An event-stream client that lets this much queue up unread is dropped, bytes. */
export const MAX_EVENT_STREAM_BACKLOG_BYTES = 1024 * 1024
/** A comment line on every event stream this often, so proxies keep it open, ms. */
export const EVENT_STREAM_KEEPALIVE_MS = 15_000

/** Pages beside the JSON routes: the dashboard and its assets. */
export interface StaticPage {
  readonly contentType: string
  readonly body: string | Buffer
  /** Its Content-Security-Policy header, if any. */
  readonly csp?: string
}

export interface ApiServerInit {
  /** Where to listen. */
  readonly address: ApiAddress
  /** Bearer token every request must carry; required when the address is not loopback. */
  readonly token?: string | undefined
  /** The data directory, where the listening address is written (`api`). */
  readonly dataDir: string
  /** Extra per-status fields, e.g. the privacy budget. */
  readonly privacy?: () => unknown
}

export interface ApiServerComponents {
  readonly state: NodeState
  readonly metrics?: MeshtrainMetrics | undefined
  readonly peers: () => readonly PeerView[]
  /** Static pages by path, e.g. `/` (the dashboard). */
  readonly pages?: ReadonlyMap<string, StaticPage>
}

type Handler = (url: URL, req: IncomingMessage, res: ServerResponse) => Promise<void> | void

/** A request the API refuses: its status, a stable code and a message naming what is wrong. */
class ApiRequestError extends Error {
  readonly status: number
  readonly code: string
  readonly headers: Readonly<Record<string, string>>
  constructor (status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message)
    this.status = status
    this.code = code
    this.headers = headers
  }
}

/**
 * The node's HTTP API on node:http (docs/design.md, "The operator's surface"): health, status,
 * peers, rounds, an event stream, Prometheus metrics and the dashboard. It only reads NodeState
 * and the components' snapshots, so no request waits on the round loop.
 */
export class ApiServer implements Startable {
  readonly #init: ApiServerInit
  readonly #c: ApiServerComponents
  readonly #routes: ReadonlyMap<string, Handler>
  readonly #streams = new Set<ServerResponse>()
  #server: Server | undefined
  #keepalive: NodeJS.Timeout | undefined
  #bound: ApiAddress | undefined

  constructor (init: ApiServerInit, components: ApiServerComponents) {
    if (!isLoopbackHost(init.address.host) && init.token === undefined) {
      throw new TypeError(`ApiServerInit: ${formatApiAddress(init.address)} is not a loopback address and no token was given`)
    }
    this.#init = init
    this.#c = components
    const routes = new Map<string, Handler>([
      ['/livez', (_url, _req, res) => { json(res, 200, { live: true }) }],
      ['/readyz', (_url, _req, res) => { const r = this.#c.state.readiness(); json(res, r.ready ? 200 : 503, r) }],
      ['/api/v1/node', (_url, _req, res) => this.#node(res)],
      ['/api/v1/status', (_url, _req, res) => { json(res, 200, this.#status()) }],
      ['/api/v1/peers', (_url, _req, res) => { json(res, 200, { peers: this.#c.peers() }) }],
      ['/api/v1/rounds', (url, _req, res) => this.#rounds(url, res)],
      ['/api/v1/events', (_url, req, res) => this.#events(req, res)],
      ['/metrics', async (_url, _req, res) => this.#metrics(res)]
    ])
    for (const [path, page] of components.pages ?? []) {
      routes.set(path, (_url, _req, res) => {
        res.writeHead(200, {
          'content-type': page.contentType,
          'cache-control': 'no-cache',
          'x-content-type-options': 'nosniff',
          ...(page.csp === undefined ? {} : { 'content-security-policy': page.csp })
        })
        res.end(page.body)
      })
    }
    this.#routes = routes
  }

  /** The address it listens on (the real port when 0 was asked for); undefined before start. */
  get address (): ApiAddress | undefined { return this.#bound }

  /**
   * Listen, then write the address to `<dataDir>/api`. Idempotent.
   * @throws RuntimeFailure `api-listen-failed` when the address cannot be bound.
   */
  async start (): Promise<void> {
    if (this.#server !== undefined) return
    const server = createServer({ maxHeaderSize: MAX_REQUEST_HEADER_BYTES, requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: REQUEST_TIMEOUT_MS }, (req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        // A handler failed after the head went out (a client gone mid-answer): nothing more to say.
        if (!res.headersSent) json(res, 500, { error: 'internal', message: (err as Error).message })
        else res.destroy()
      })
    })
    server.maxConnections = MAX_API_CONNECTIONS
    const { host, port } = this.#init.address
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(new RuntimeFailure('api-listen-failed', `cannot listen on ${formatApiAddress(this.#init.address)} for the API (setting api): ${err.code === 'EADDRINUSE' ? 'address already in use' : err.message}`, { cause: err }))
      })
      server.listen({ host, port }, resolve)
    })
    this.#server = server
    const bound = server.address() as AddressInfo
    this.#bound = Object.freeze({ host: bound.address, port: bound.port })
    this.#keepalive = setInterval(() => { for (const res of this.#streams) res.write(': keepalive\n\n') }, EVENT_STREAM_KEEPALIVE_MS)
    this.#keepalive.unref()
    // Written atomically, so a command never reads half an address.
    const file = join(this.#init.dataDir, API_ADDRESS_FILE)
    await writeFile(`${file}.tmp`, formatApiAddress(this.#bound) + '\n')
    await rename(`${file}.tmp`, file)
    this.#c.state.setListening(true)
  }

  /** Close every connection and event stream, stop listening, remove `<dataDir>/api`. Idempotent. */
  async stop (): Promise<void> {
    const server = this.#server
    if (server === undefined) return
    this.#server = undefined
    this.#c.state.setListening(false)
    clearInterval(this.#keepalive)
    for (const res of this.#streams) res.end()
    this.#streams.clear()
    await rm(join(this.#init.dataDir, API_ADDRESS_FILE), { force: true })
    await new Promise<void>(resolve => {
      server.close(() => { resolve() })
      server.closeAllConnections()
    })
  }

  async #handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://api.invalid')
      if (this.#init.token !== undefined && !bearerMatches(req.headers.authorization, this.#init.token)) {
        throw new ApiRequestError(401, 'unauthorized', 'this API needs Authorization: Bearer <token>, the token in <data-dir>/api-token', { 'www-authenticate': 'Bearer' })
      }
      const handler = this.#routes.get(url.pathname)
      if (handler === undefined) {
        throw new ApiRequestError(404, 'unknown-route', `no route ${url.pathname}; routes: ${[...this.#routes.keys()].join(', ')}`)
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        throw new ApiRequestError(405, 'method-not-allowed', `${req.method ?? '?'} ${url.pathname}: only GET and HEAD are allowed`, { allow: 'GET, HEAD' })
      }
      const length = Number(req.headers['content-length'] ?? 0)
      if (req.headers['transfer-encoding'] !== undefined || !(length <= MAX_REQUEST_BODY_BYTES)) {
        throw new ApiRequestError(413, 'body-too-large', `request body of ${req.headers['content-length'] ?? 'unknown (chunked)'} bytes: at most ${MAX_REQUEST_BODY_BYTES} allowed, and no route reads one`, { connection: 'close' })
      }
      const allowed = url.pathname === '/api/v1/rounds' ? ['since'] : []
      for (const name of url.searchParams.keys()) {
        if (!allowed.includes(name)) throw new ApiRequestError(400, 'unknown-parameter', `${url.pathname}: unknown query parameter "${name}"; allowed: ${allowed.join(', ') || 'none'}`)
      }
      await handler(url, req, res)
    } catch (err) {
      if (!(err instanceof ApiRequestError)) throw err
      json(res, err.status, { error: err.code, message: err.message }, err.headers)
      if (err.status === 413) req.destroy()
    }
  }

  #node (res: ServerResponse): void {
    const info = this.#c.state.info
    if (info === undefined) throw new ApiRequestError(503, 'starting', 'the node is starting: libp2p is not listening yet')
    json(res, 200, { ...info, api: this.#bound === undefined ? null : formatApiAddress(this.#bound) })
  }

  #status (): unknown {
    const { state } = this.#c
    const latest = state.latest
    const readiness = state.readiness()
    return {
      round: latest?.round ?? null,
      phase: state.phase,
      peers: state.peerCount(),
      loss: latest === undefined || !Number.isFinite(latest.loss) ? null : latest.loss,
      accuracy: latest?.accuracy ?? null,
      used: latest?.used ?? null,
      refused: latest?.refused ?? null,
      keptOwn: latest?.keptOwn ?? null,
      privacy: this.#init.privacy?.() ?? null,
      ready: readiness.ready,
      reasons: readiness.reasons,
      uptimeSeconds: Math.round((Date.now() - state.startedAt) / 1000)
    }
  }

  #rounds (url: URL, res: ServerResponse): void {
    const raw = url.searchParams.get('since') ?? '0'
    if (!/^\d{1,10}$/.test(raw)) throw new ApiRequestError(400, 'bad-parameter', `since: got ${JSON.stringify(raw)}, expected a round number (a whole number >= 0)`)
    const since = Number(raw)
    const rounds = this.#c.state.roundsSince(since, MAX_ROUNDS_PER_RESPONSE + 1)
    const truncated = rounds.length > MAX_ROUNDS_PER_RESPONSE
    json(res, 200, { since, latest: this.#c.state.latest?.round ?? null, truncated, rounds: truncated ? rounds.slice(0, -1) : rounds })
  }

  #events (req: IncomingMessage, res: ServerResponse): void {
    const write = (event: NodeEvent): void => {
      if (res.writableLength > MAX_EVENT_STREAM_BACKLOG_BYTES) {
        // A reader this far behind would only grow the node's memory: drop it, it can reconnect.
        res.destroy()
        return
      }
      res.write(`event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`)
    }
    const unsubscribe = this.#c.state.subscribe(write)
    if (unsubscribe === undefined) throw new ApiRequestError(503, 'too-many-streams', 'too many event streams open: try again later', { 'retry-after': '5' })
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' })
    if (req.method === 'HEAD') { unsubscribe(); res.end(); return }
    res.write(': meshtrain events: round, peer\n\n')
    this.#streams.add(res)
    res.on('close', () => {
      unsubscribe()
      this.#streams.delete(res)
    })
  }

  async #metrics (res: ServerResponse): Promise<void> {
    const metrics = this.#c.metrics
    if (metrics === undefined) throw new ApiRequestError(404, 'no-metrics', 'this node runs without metrics')
    const text = await metrics.text()
    res.writeHead(200, { 'content-type': metrics.contentType })
    res.end(text)
  }
}

function json (res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const text = JSON.stringify(body) + '\n'
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers })
  res.end(text)
}
