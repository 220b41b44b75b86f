import { randomInt } from 'node:crypto'
import { createServer } from 'node:net'

/**
 * The ports {@link freePorts} hands out: below the ephemeral range Linux takes the local ports of
 * outgoing connections from (32768-60999; other systems start higher). A daemon stopped and
 * started again on its port would otherwise find it taken, now and then, by the local end of some
 * process's outgoing connection.
 */
export const FREE_PORT_RANGE = Object.freeze({ first: 20_000, last: 32_767 })

/** `count` distinct ports free on 127.0.0.1 right now, drawn at random from {@link FREE_PORT_RANGE}. */
export async function freePorts (count: number): Promise<number[]> {
  const ports: number[] = []
  while (ports.length < count) {
    const port = randomInt(FREE_PORT_RANGE.first, FREE_PORT_RANGE.last + 1)
    if (!ports.includes(port) && await canListen(port)) ports.push(port)
  }
  return ports
}

function canListen (port: number): Promise<boolean> {
  return new Promise(resolve => {
    const server = createServer()
    server.once('error', () => { resolve(false) })
    server.listen(port, '127.0.0.1', () => { server.close(() => { resolve(true) }) })
  })
}
