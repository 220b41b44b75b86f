import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { FREE_PORT_RANGE, freePorts } from '../../src/network/index.ts'

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
})
