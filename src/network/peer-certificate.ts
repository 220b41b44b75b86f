import { X509Certificate, createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { publicKeyFromProtobuf, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'

/**
 * A self-signed X.509 certificate that a libp2p identity key vouches for, as the libp2p TLS
 * handshake specification binds them (https://github.com/libp2p/specs/blob/master/tls/tls.md):
 * the certificate's own key is a fresh ECDSA P-256 key, and a critical extension
 * {@link LIBP2P_EXTENSION_OID} holds `SignedKey ::= SEQUENCE { publicKey OCTET STRING, signature
 * OCTET STRING }`: the libp2p public key (protobuf) and its signature over
 * `"libp2p-tls-handshake:" || SubjectPublicKeyInfo` (DER). A peer that completes a TLS 1.3
 * handshake with such a certificate holds both keys, so it is that libp2p peer.
 */

/** The libp2p Public Key Extension's OID (libp2p TLS specification). */
export const LIBP2P_EXTENSION_OID = '1.3.6.1.4.1.53594.1.1'

/** What the libp2p key signs: this prefix, then the certificate's SubjectPublicKeyInfo (DER). */
export const LIBP2P_SIGNATURE_PREFIX = 'libp2p-tls-handshake:'

/** How long a certificate is valid, ms (a node makes a new one at every start). */
export const CERTIFICATE_VALIDITY_MS = 365 * 24 * 3600 * 1000

/** Slack before now in a certificate's notBefore, ms, for peers whose clocks run behind. */
const CLOCK_SKEW_MS = 3600 * 1000

/** A certificate and its private key, PEM, as node:tls takes them. */
export interface PeerCertificate {
  readonly cert: string
  readonly key: string
}

/** A certificate that does not prove the libp2p identity it is expected to. */
export class PeerCertificateError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'PeerCertificateError'
  }
}

/** A fresh certificate for the node whose libp2p key is `identity`. */
export async function createPeerCertificate (identity: PrivateKey, now = Date.now()): Promise<PeerCertificate> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const spki = publicKey.export({ type: 'spki', format: 'der' })
  const signature = await identity.sign(Buffer.concat([Buffer.from(LIBP2P_SIGNATURE_PREFIX), spki]))
  const signedKey = seq(octetString(publicKeyToProtobuf(identity.publicKey)), octetString(signature))
  const name = seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from('meshtrain')))))
  const serial = randomBytes(8)
  serial[0] = ((serial[0] as number) & 0x7f) | 0x01 // positive and without a leading zero byte
  const ecdsaWithSha256 = seq(oid('1.2.840.10045.4.3.2'))
  const tbs = seq(
    tlv(0xa0, integer(Buffer.of(2))), // version 3
    integer(serial),
    ecdsaWithSha256,
    name,
    seq(utcTime(new Date(now - CLOCK_SKEW_MS)), utcTime(new Date(now + CERTIFICATE_VALIDITY_MS))),
    name,
    spki,
    tlv(0xa3, seq(seq(oid(LIBP2P_EXTENSION_OID), tlv(0x01, Buffer.of(0xff)), octetString(signedKey))))
  )
  const certificate = seq(tbs, ecdsaWithSha256, tlv(0x03, Buffer.concat([Buffer.of(0), sign('sha256', tbs, privateKey)])))
  const pem = `-----BEGIN CERTIFICATE-----\n${certificate.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`
  return { cert: pem, key: createPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' })).export({ type: 'pkcs8', format: 'pem' }).toString() }
}

/**
 * The libp2p peer id a peer's certificate (DER) proves: its libp2p extension's signature over the
 * certificate's key verifies with the libp2p key it carries, the certificate is self-signed and
 * valid now, and (when given) the peer id is `expected`.
 * @throws PeerCertificateError naming what is wrong.
 */
export async function verifyPeerCertificate (der: Uint8Array, expected?: string, now = Date.now()): Promise<string> {
  let x509: X509Certificate
  let parts: { spki: Uint8Array, notBefore: number, notAfter: number, extension: Uint8Array | undefined }
  try {
    x509 = new X509Certificate(der)
    parts = certificateParts(der)
  } catch (err) {
    throw new PeerCertificateError(`not an X.509 certificate: ${err instanceof Error ? err.message : String(err)}`)
  }
  if (now < parts.notBefore || now > parts.notAfter) throw new PeerCertificateError('certificate not valid now')
  if (!x509.verify(x509.publicKey)) throw new PeerCertificateError('certificate not self-signed')
  if (parts.extension === undefined) throw new PeerCertificateError('no libp2p public key extension')
  let publicKeyBytes: Uint8Array
  let signature: Uint8Array
  try {
    const signedKey = children(parts.extension, 0, parts.extension.byteLength, 0x30)
    const [key, sig] = signedKey
    if (signedKey.length !== 2 || key?.tag !== 0x04 || sig?.tag !== 0x04) throw new Error('SignedKey is not two octet strings')
    publicKeyBytes = content(parts.extension, key)
    signature = content(parts.extension, sig)
  } catch (err) {
    throw new PeerCertificateError(`malformed libp2p extension: ${err instanceof Error ? err.message : String(err)}`)
  }
  let peerId: string
  let valid: boolean
  try {
    const publicKey = publicKeyFromProtobuf(publicKeyBytes)
    peerId = peerIdFromPublicKey(publicKey).toString()
    valid = await publicKey.verify(Buffer.concat([Buffer.from(LIBP2P_SIGNATURE_PREFIX), parts.spki]), signature)
  } catch (err) {
    throw new PeerCertificateError(`unusable libp2p key in the certificate: ${err instanceof Error ? err.message : String(err)}`)
  }
  if (!valid) throw new PeerCertificateError(`the libp2p key of ${peerId} did not sign the certificate's key`)
  if (expected !== undefined && peerId !== expected) throw new PeerCertificateError(`certificate of ${peerId}, expected ${expected}`)
  return peerId
}

// --- DER, only as much as a certificate needs (ITU-T X.690) ---

function tlv (tag: number, content: Uint8Array): Buffer {
  const n = content.byteLength
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]
  return Buffer.concat([Buffer.of(tag, ...length), content])
}
const seq = (...items: Uint8Array[]): Buffer => tlv(0x30, Buffer.concat(items))
const set = (...items: Uint8Array[]): Buffer => tlv(0x31, Buffer.concat(items))
const integer = (bytes: Uint8Array): Buffer => tlv(0x02, bytes)
const octetString = (bytes: Uint8Array): Buffer => tlv(0x04, bytes)

function oid (dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number)
  const bytes = [40 * a + b]
  for (const arc of rest) {
    const base128 = [arc & 0x7f]
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) base128.unshift((v & 0x7f) | 0x80)
    bytes.push(...base128)
  }
  return tlv(0x06, Buffer.from(bytes))
}

function utcTime (date: Date): Buffer {
  const two = (n: number): string => String(n).padStart(2, '0')
  const text = `${two(date.getUTCFullYear() % 100)}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}Z`
  return tlv(0x17, Buffer.from(text))
}

interface Element { readonly tag: number, readonly start: number, readonly end: number }

/** The element at `offset` of `der`, which must end by `limit`. */
function element (der: Uint8Array, offset: number, limit: number): Element {
  const tag = der[offset]
  let length = der[offset + 1]
  if (tag === undefined || length === undefined) throw new Error('truncated')
  let start = offset + 2
  if (length & 0x80) {
    const bytes = length & 0x7f
    if (bytes === 0 || bytes > 4) throw new Error('unsupported length')
    length = 0
    for (let i = 0; i < bytes; i++) length = length * 256 + (der[start + i] ?? NaN)
    start += bytes
  }
  const end = start + length
  if (!Number.isInteger(end) || end > limit) throw new Error('element longer than its container')
  return { tag, start, end }
}

/** The elements inside the constructed element at `offset`, which must carry `tag`. */
function children (der: Uint8Array, offset: number, limit: number, tag: number): Element[] {
  const outer = element(der, offset, limit)
  if (outer.tag !== tag) throw new Error(`expected tag ${tag}, got ${outer.tag}`)
  const out: Element[] = []
  for (let at = outer.start; at < outer.end;) {
    const inner = element(der, at, outer.end)
    out.push({ tag: inner.tag, start: at, end: inner.end })
    at = inner.end
  }
  return out
}

/** Content of an element whose header starts at `e.start` (children() keeps the header in). */
function content (der: Uint8Array, e: Element): Uint8Array {
  const inner = element(der, e.start, e.end)
  return der.subarray(inner.start, inner.end)
}

const EXTENSION_OID = oid(LIBP2P_EXTENSION_OID)

function certificateParts (der: Uint8Array): { spki: Uint8Array, notBefore: number, notAfter: number, extension: Uint8Array | undefined } {
  const [tbs] = children(der, 0, der.byteLength, 0x30)
  if (tbs === undefined) throw new Error('empty certificate')
  const fields = children(der, tbs.start, tbs.end, 0x30)
  const at = fields[0]?.tag === 0xa0 ? 1 : 0
  const validity = fields[at + 3]
  const spki = fields[at + 5]
  if (validity === undefined || spki === undefined) throw new Error('missing fields')
  const [notBefore, notAfter] = children(der, validity.start, validity.end, 0x30).map(e => time(der, e))
  let extension: Uint8Array | undefined
  const extensions = fields.slice(at + 6).find(f => f.tag === 0xa3)
  if (extensions !== undefined) {
    const list = content(der, extensions)
    for (const ext of children(list, 0, list.byteLength, 0x30)) {
      const parts = children(list, ext.start, ext.end, 0x30)
      const id = list.subarray(parts[0]?.start, parts[0]?.end)
      const value = parts[parts.length - 1]
      if (value !== undefined && value.tag === 0x04 && Buffer.from(id).equals(EXTENSION_OID)) extension = content(list, value)
    }
  }
  return { spki: der.subarray(spki.start, spki.end), notBefore: notBefore ?? NaN, notAfter: notAfter ?? NaN, extension }
}

/** A UTCTime or GeneralizedTime element, ms since the epoch. */
function time (der: Uint8Array, e: Element): number {
  const text = Buffer.from(content(der, e)).toString('latin1')
  const match = e.tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text) : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
  if (match === null) throw new Error(`bad time ${text}`)
  const [, y = '', mo = '', d = '', h = '', mi = '', s = ''] = match
  const year = e.tag === 0x17 ? (Number(y) < 50 ? 2000 : 1900) + Number(y) : Number(y)
  return Date.UTC(year, Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s))
}
