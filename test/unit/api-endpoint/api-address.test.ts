import assert from 'node:assert/strict'
import { mkdtemp, rm, stat, writeFile, chmod } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError } from '../../../src/errors/index.ts'
import { API_TOKEN_FILE, bearerMatches, createApiToken, formatApiAddress, isLoopbackHost, parseApiAddress, readApiToken } from '../../../src/api-endpoint/index.ts'

describe('api address', () => {
  it('parses HOST:PORT, bracketed IPv6 and off', () => {
    assert.deepEqual(parseApiAddress('127.0.0.1:7172'), { host: '127.0.0.1', port: 7172 })
    assert.deepEqual(parseApiAddress('0.0.0.0:0'), { host: '0.0.0.0', port: 0 })
    assert.deepEqual(parseApiAddress('[::1]:80'), { host: '::1', port: 80 })
    assert.deepEqual(parseApiAddress('localhost:9000'), { host: 'localhost', port: 9000 })
    assert.equal(parseApiAddress('off'), undefined)
  })

  it('refuses what is not HOST:PORT, naming the problem', () => {
    for (const bad of ['', '7172', '127.0.0.1', '127.0.0.1:', ':7172', '::1:7172', '1.2.3.4:123456', 'a b:1']) {
      assert.throws(() => parseApiAddress(bad), /HOST:PORT|above 65535/, bad)
    }
    assert.throws(() => parseApiAddress('127.0.0.1:65536'), /port 65536 is above 65535/)
    assert.throws(() => parseApiAddress('[1.2.3.4]:80'), /not an IPv6 address/)
  })

  it('formats an address back', () => {
    assert.equal(formatApiAddress({ host: '::1', port: 1 }), '[::1]:1')
    assert.equal(formatApiAddress({ host: '10.0.0.1', port: 7172 }), '10.0.0.1:7172')
  })

  it('counts only 127/8, ::1 and localhost as loopback', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) assert.equal(isLoopbackHost(host), true, host)
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'example.org', '::ffff:127.0.0.1']) assert.equal(isLoopbackHost(host), false, host)
  })
})

describe('api token', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'meshtrain-api-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('is created once with mode 0600 and read back', async () => {
    assert.equal(await readApiToken(dir), undefined)
    const first = await createApiToken(dir)
    assert.equal(first.created, true)
    assert.equal((await stat(first.path)).mode & 0o777, 0o600)
    const token = await readApiToken(dir)
    assert.match(token ?? '', /^[0-9a-f]{64}$/)
    assert.equal((await createApiToken(dir)).created, false)
    assert.equal(await readApiToken(dir), token)
  })

  it('refuses a token file others can read, or a short one', async () => {
    const path = join(dir, API_TOKEN_FILE)
    await writeFile(path, 'x'.repeat(40), { mode: 0o644 })
    await chmod(path, 0o644)
    await assert.rejects(readApiToken(dir), (err: unknown) => err instanceof ConfigError && err.setting === 'api' && /chmod 600/.test(err.message))
    await writeFile(path, 'short\n')
    await chmod(path, 0o600)
    await assert.rejects(readApiToken(dir), /at least 16 characters/)
  })

  it('matches a bearer header exactly', () => {
    const token = 'a'.repeat(32)
    assert.equal(bearerMatches(`Bearer ${token}`, token), true)
    assert.equal(bearerMatches(`Bearer ${token}x`, token), false)
    assert.equal(bearerMatches(`bearer ${token}`, token), false)
    assert.equal(bearerMatches(token, token), false)
    assert.equal(bearerMatches(undefined, token), false)
    assert.equal(bearerMatches('Bearer ' + 'b'.repeat(32), token), false)
  })
})
