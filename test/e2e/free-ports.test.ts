import assert from 'node:assert/strict'
import { utimes } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { FREE_PORT_RANGE, PORT_LEASE_DIR, PORT_LEASE_MS, freePorts, leasePort } from '../../src/network/index.ts'

describe('freePorts (sockets on 127.0.0.1)', () => {
  it('hands out distinct ports below the ephemeral range, each one free to listen on', async () => {
    const ports = await freePorts(20)
    assert.equal(new Set(ports).size, 20)
    for (const port of ports) {
      assert.ok(port >= FREE_PORT_RANGE.first && port <= FREE_PORT_RANGE.last && port < 32_768, `port ${port}`)
      await new Promise<void>((resolve, reject) => {
        const server = createServer()
        server.once('error', reject)
        server.listen(port, '127.0.0.1', () => { server.close(() => { resolve() }) })
      })
    }
  })

  it('leases each port it hands out: not again while the lease runs, again once it has run out', async () => {
    const [port] = await freePorts(1) as [number]
    assert.equal(await leasePort(port), false, 'a port just handed out is leased')
    const expired = new Date(Date.now() - PORT_LEASE_MS - 1000)
    await utimes(join(PORT_LEASE_DIR, String(port)), expired, expired)
    assert.equal(await leasePort(port), true, 'a lease older than PORT_LEASE_MS is taken over')
    assert.equal(await leasePort(port), false)
  })
})
