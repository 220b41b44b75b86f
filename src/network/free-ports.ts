import { createServer } from 'node:net'
import type { Server } from 'node:net'

/** Ports free on 127.0.0.1 right now, found by binding port 0 and letting go. */
export async function freePorts (count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<Server>((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve(server))
  })))
  const ports = servers.map(s => (s.address() as { port: number }).port)
  await Promise.all(servers.map(s => new Promise(resolve => s.close(resolve))))
  return ports
}
