import { randomInt } from 'node:crypto'
import { mkdir, rm, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * The ports {@link freePorts} hands out: below the ephemeral range Linux takes the local ports of
 * outgoing connections from (32768-60999; other systems start higher). A daemon stopped and
 * started again on its port would otherwise find it taken, now and then, by the local end of some
 * process's outgoing connection.
 */
export const FREE_PORT_RANGE = Object.freeze({ first: 20_000, last: 32_767 })

/** How long a port {@link freePorts} handed out stays leased to its taker. */
export const PORT_LEASE_MS = 15 * 60_000

/** The leases: one file per port, named by its number, shared by every process on the machine. */
export const PORT_LEASE_DIR = join(tmpdir(), 'meshtrain-port-leases')

/**
 * `count` distinct ports free on 127.0.0.1 right now, drawn at random from {@link FREE_PORT_RANGE}
 * and leased for {@link PORT_LEASE_MS}: no other call on this machine, in this process or another,
 * hands them out meanwhile. Without the lease, two processes choosing ports at once (the
 * end-to-end files run three at a time, `meshtrain swarm` beside them) could both choose one
 * between a check and a listen, or take the port of a daemon down for a restart: a daemon then
 * exited with "address already in use" (a closed-network test, once in a full suite).
 */
export async function freePorts (count: number): Promise<number[]> {
  await mkdir(PORT_LEASE_DIR, { recursive: true })
  const ports: number[] = []
  while (ports.length < count) {
    const port = randomInt(FREE_PORT_RANGE.first, FREE_PORT_RANGE.last + 1)
    if (!ports.includes(port) && await leasePort(port) && await canListen(port)) ports.push(port)
  }
  return ports
}

/**
 * Take the lease of `port` (a file made only if absent); a lease older than {@link PORT_LEASE_MS}
 * is taken over. Returns false while someone else's lease runs.
 */
export async function leasePort (port: number): Promise<boolean> {
  const file = join(PORT_LEASE_DIR, String(port))
  if (await createExclusive(file)) return true
  const leasedAt = await stat(file).then(s => s.mtimeMs, () => -Infinity)
  if (Date.now() - leasedAt < PORT_LEASE_MS) return false
  await rm(file, { force: true })
  return await createExclusive(file)
}

async function createExclusive (file: string): Promise<boolean> {
  try {
    await writeFile(file, `${process.pid}\n`, { flag: 'wx' })
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
}

function canListen (port: number): Promise<boolean> {
  return new Promise(resolve => {
    const server = createServer()
    server.once('error', () => { resolve(false) })
    server.listen(port, '127.0.0.1', () => { server.close(() => { resolve(true) }) })
  })
}
