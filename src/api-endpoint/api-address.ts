import { isIP } from 'node:net'

/** Where the HTTP API listens: a host (IPv4, IPv6 or a name) and a TCP port (0: any free port). */
export interface ApiAddress {
  readonly host: string
  readonly port: number
}

/** The file in the data directory that holds the address the API listens on (`127.0.0.1:7172`). */
export const API_ADDRESS_FILE = 'api'

/** The API's default port, one above the default libp2p port (7171). */
export const DEFAULT_API_PORT = 7172

/** The API's default address: loopback only, so nothing outside the host can reach it. */
export const DEFAULT_API_ADDRESS: ApiAddress = Object.freeze({ host: '127.0.0.1', port: DEFAULT_API_PORT })

/** The raw value of the `api` setting that turns the API off (`--no-api`). */
export const API_OFF = 'off'

/**
 * `HOST:PORT` (IPv6 in brackets, `[::1]:7172`) -> an ApiAddress; `off` -> undefined.
 * @throws Error saying what is wrong, for the settings table to wrap in a ConfigError.
 */
export function parseApiAddress (text: string): ApiAddress | undefined {
  if (text === API_OFF) return undefined
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text)
  if (m === null) throw new Error('not of the form HOST:PORT')
  const host = m[1] ?? m[2] as string
  const port = Number(m[3])
  if (port > 65535) throw new Error(`port ${port} is above 65535`)
  if (m[1] !== undefined && isIP(host) !== 6) throw new Error(`${host} is not an IPv6 address`)
  return Object.freeze({ host, port })
}

/** `127.0.0.1:7172`, `[::1]:7172`. */
export function formatApiAddress (address: ApiAddress): string {
  return isIP(address.host) === 6 ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`
}

/**
 * True when only this host can reach `host`: 127.0.0.0/8, ::1, `localhost`. Everything else
 * (0.0.0.0, a LAN address, a name) needs the bearer token.
 */
export function isLoopbackHost (host: string): boolean {
  if (host === 'localhost' || host === '::1') return true
  return isIP(host) === 4 && host.startsWith('127.')
}
