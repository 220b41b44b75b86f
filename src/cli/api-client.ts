import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { API_ADDRESS_FILE, parseApiAddress, readApiToken } from '../api-endpoint/index.ts'
import { EXIT_STATUS, MeshtrainError } from '../errors/index.ts'

/** How long a command waits for the node's answer, ms. */
export const API_REQUEST_TIMEOUT_MS = 5000

/** The node's API cannot be reached (not running, no API, wrong address): exit status 2. */
export class NodeUnreachableError extends MeshtrainError {
  constructor (message: string, options?: ErrorOptions) {
    super('node-unreachable', message, EXIT_STATUS.badInput, options)
  }
}

/** A client of a running node's API, found through `<data-dir>/api` (and `api-token`, if any). */
export class ApiClient {
  readonly baseUrl: string
  readonly #token: string | undefined

  private constructor (baseUrl: string, token: string | undefined) {
    this.baseUrl = baseUrl
    this.#token = token
  }

  /** @throws NodeUnreachableError when `<dataDir>/api` is missing or unreadable (the node is not running). */
  static async fromDataDir (dataDir: string): Promise<ApiClient> {
    const file = join(dataDir, API_ADDRESS_FILE)
    let text: string
    try {
      text = (await readFile(file, 'utf8')).trim()
    } catch (err) {
      throw new NodeUnreachableError(`no running node with an API in ${dataDir}: ${file} is missing (not started, stopped, or started with --no-api)`, { cause: err })
    }
    let address
    try {
      address = parseApiAddress(text)
    } catch (err) {
      throw new NodeUnreachableError(`${file} does not hold an address (HOST:PORT): ${JSON.stringify(text.slice(0, 80))}`, { cause: err })
    }
    if (address === undefined) throw new NodeUnreachableError(`${file} says the API is off`)
    // A node bound to every interface is reached over loopback.
    const host = address.host === '0.0.0.0' ? '127.0.0.1' : address.host === '::' ? '::1' : address.host
    const hostText = host.includes(':') ? `[${host}]` : host
    return new ApiClient(`http://${hostText}:${address.port}`, await readApiToken(dataDir))
  }

  /** GET `path`; resolves with the status and the parsed JSON body. @throws NodeUnreachableError when no answer comes. */
  async getJson<T> (path: string): Promise<{ status: number, body: T }> {
    const res = await this.#get(path, AbortSignal.timeout(API_REQUEST_TIMEOUT_MS))
    return { status: res.status, body: await res.json() as T }
  }

  /**
   * The server-sent events of `/api/v1/events`, as { type, data } pairs, until `signal` aborts or
   * the node stops.
   */
  async * events (signal: AbortSignal): AsyncGenerator<{ type: string, data: unknown }> {
    const res = await this.#get('/api/v1/events', signal)
    if (res.body === null) return
    const decoder = new TextDecoder()
    let buffered = ''
    try {
      for await (const chunk of res.body) {
        buffered += decoder.decode(chunk as Uint8Array, { stream: true })
        let end
        while ((end = buffered.indexOf('\n\n')) !== -1) {
          const block = buffered.slice(0, end)
          buffered = buffered.slice(end + 2)
          const type = /^event: (.*)$/m.exec(block)?.[1]
          const data = /^data: (.*)$/m.exec(block)?.[1]
          if (type !== undefined && data !== undefined) yield { type, data: JSON.parse(data) as unknown }
        }
      }
    } catch (err) {
      if (signal.aborted) return
      throw new NodeUnreachableError(`the event stream of ${this.baseUrl} ended: ${(err as Error).message}`, { cause: err })
    }
  }

  async #get (path: string, signal: AbortSignal): Promise<Response> {
    let res: Response
    try {
      res = await fetch(this.baseUrl + path, { signal, headers: this.#token === undefined ? {} : { authorization: `Bearer ${this.#token}` } })
    } catch (err) {
      const inner = (err as { cause?: { code?: string, message?: string, errors?: Array<{ code?: string }> } }).cause
      const cause = inner?.code ?? inner?.errors?.[0]?.code ?? inner?.message ?? (err as Error).message
      throw new NodeUnreachableError(`the node's API at ${this.baseUrl} does not answer (${cause}): is the node running?`, { cause: err })
    }
    if (res.status === 401) throw new NodeUnreachableError(`the node's API at ${this.baseUrl} refused the token (401): check <data-dir>/api-token`)
    return res
  }
}
