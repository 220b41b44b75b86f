import { strict as assert } from 'node:assert'
import { X509Certificate } from 'node:crypto'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { CERTIFICATE_VALIDITY_MS, PeerCertificateError, createPeerCertificate, verifyPeerCertificate } from '../../../src/network/index.ts'

const key = async (seed: number): Promise<PrivateKey> => await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(seed))
const der = (pem: string): Uint8Array => new X509Certificate(pem).raw

describe('peer certificates (libp2p TLS key binding)', () => {
  it('prove the peer id of the libp2p key that made them', async () => {
    const identity = await key(1)
    const certificate = der((await createPeerCertificate(identity)).cert)
    const peerId = peerIdFromPrivateKey(identity).toString()
    assert.equal(await verifyPeerCertificate(certificate), peerId)
    assert.equal(await verifyPeerCertificate(certificate, peerId), peerId)
  })

  it('are refused for another expected peer id', async () => {
    const certificate = der((await createPeerCertificate(await key(1))).cert)
    const other = peerIdFromPrivateKey(await key(2)).toString()
    await assert.rejects(verifyPeerCertificate(certificate, other), (err: unknown) => err instanceof PeerCertificateError && err.message.includes(`expected ${other}`))
  })

  it('are refused outside their validity', async () => {
    const now = Date.now()
    const certificate = der((await createPeerCertificate(await key(1), now)).cert)
    await assert.rejects(verifyPeerCertificate(certificate, undefined, now + CERTIFICATE_VALIDITY_MS + 60_000), PeerCertificateError)
    await assert.rejects(verifyPeerCertificate(certificate, undefined, now - 2 * 3600_000), PeerCertificateError)
  })

  it('are refused when any byte of the libp2p extension or the certificate changes', async () => {
    const certificate = der((await createPeerCertificate(await key(1))).cert)
    // The last bytes of the to-be-signed part hold the extension's Ed25519 signature; flip one in
    // the middle of the certificate too. Either breaks the self-signature or the key binding.
    for (const at of [Math.floor(certificate.byteLength / 2), certificate.byteLength - 90, certificate.byteLength - 1]) {
      const tampered = Uint8Array.from(certificate)
      tampered[at] = (tampered[at] as number) ^ 0x01
      await assert.rejects(verifyPeerCertificate(tampered), PeerCertificateError, `byte ${at}`)
    }
  })

  it('refuses bytes that are not a certificate', async () => {
    for (const bytes of [new Uint8Array(0), Uint8Array.of(0x30, 0x82, 0xff, 0xff), new Uint8Array(300).fill(7)]) {
      await assert.rejects(verifyPeerCertificate(bytes), PeerCertificateError)
    }
  })
})
