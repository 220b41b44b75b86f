import assert from 'node:assert/strict'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { formatCheckpoint, signCheckpoint } from '../../../src/ledger/index.ts'
import { ValidationError, decodeAnnouncement, encodeAnnouncement, signAnnouncement } from '../../../src/protocol/index.ts'
import { announcementFields, testKey } from './fixtures.ts'

describe('announcement ledgerHead: the sender\'s signed ledger checkpoint', () => {
  it('carries a checkpoint, at most 200 bytes more than an empty head, and refuses a malformed one', async () => {
    const key = await testKey(1)
    const peerId = peerIdFromPrivateKey(key).toString()
    // A log of 10^6 entries signed at a 13-digit time: a long, realistic head.
    const head = formatCheckpoint(await signCheckpoint(peerId, { size: 1_000_000, root: 'ab'.repeat(32), time: 1_764_561_600_000 }, key))
    const without = encodeAnnouncement(await signAnnouncement(announcementFields(key, 7), key))
    const withHead = encodeAnnouncement(await signAnnouncement({ ...announcementFields(key, 7), ledgerHead: head }, key))
    assert.equal((await decodeAnnouncement(withHead)).ledgerHead, head)
    const growth = withHead.byteLength - without.byteLength
    assert.ok(growth > 150 && growth <= 200, `${growth} bytes`)
    for (const bad of ['ab'.repeat(32), `01:${'ab'.repeat(32)}:1:c2ln`, `1:${'AB'.repeat(32)}:1:c2ln`, `1:${'ab'.repeat(32)}:1:${'c'.repeat(300)}`]) {
      const bytes = encodeAnnouncement(await signAnnouncement({ ...announcementFields(key, 7), ledgerHead: bad }, key))
      await assert.rejects(decodeAnnouncement(bytes), (err: unknown) => err instanceof ValidationError && err.code === 'malformed' && /ledgerHead/.test(err.message), bad)
    }
  })
})
