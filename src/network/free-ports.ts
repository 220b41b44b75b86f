import { randomInt } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import type { Server } from 'node:net'

/** Lowest port handed out by {@link freePorts} below the system's ephemeral range. */
export const LISTEN_PORT_FLOOR = 10_000

const EPHEMERAL_RANGE_FILE = '/proc/sys/net/ipv4/ip_local_port_range'

/**
 * Ports free on 127.0.0.1 right now, for daemons that will listen on them a little later. Taken
 * below the system's ephemeral range (Linux: from LISTEN_PORT_FLOOR up to the range's start,
 * from a random place, each checked by binding it), so that no outgoing connection can take one
 * in between: with 50 daemons on one host, the dials of those already started took the port of
 * one not yet started. Elsewhere, ports that binding port 0 gives.
 * @throws Error when fewer than `count` ports below the ephemeral range are free.
 */
export async function freePorts (count: number): Promise<number[]> {
  const ceiling = ephemeralRangeStart()
  if (ceiling === undefined || ceiling - LISTEN_PORT_FLOOR < 2 * count) return await anyFreePorts(count)
  const span = ceiling - LISTEN_PORT_FLOOR
  const start = randomInt(span)
  const ports: number[] = []
  for (let i = 0; i < span && ports.length < count; i++) {
    const port = LISTEN_PORT_FLOOR + ((start + i) % span)
    if (await bindable(port)) ports.push(port)
  }
  if (ports.length < count) throw new Error(`only ${ports.length} of ${count} ports from ${LISTEN_PORT_FLOOR} to ${ceiling - 1} are free on 127.0.0.1`)
  return ports
}

/** The first port of the ephemeral range, or undefined where the system does not say. */
function ephemeralRangeStart (): number | undefined {
  try {
    const start = Number(readFileSync(EPHEMERAL_RANGE_FILE, 'utf8').trim().split(/\s+/)[0])
    return Number.isInteger(start) ? start : undefined
  } catch {
    return undefined
  }
}

function bindable (port: number): Promise<boolean> {
  return new Promise(resolve => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

async function anyFreePorts (count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<Server>((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve(server))
  })))
  const ports = servers.map(s => (s.address() as { port: number }).port)
  await Promise.all(servers.map(s => new Promise(resolve => s.close(resolve))))
  return ports
}
