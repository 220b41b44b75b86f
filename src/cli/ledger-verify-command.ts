import { readFile } from 'node:fs/promises'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PublicKey } from '@libp2p/interface'
import { ConfigError, InputError, RuntimeFailure } from '../errors/index.ts'
import { formatLedgerFailure, lastPrivacyRecord, parseLedgerExport, verifyLedgerDirectory, verifyRecords, witnessedCheckpointFailure } from '../ledger/index.ts'
import type { LedgerReport } from '../ledger/index.ts'
import { listOf, parsePeerId, resolveSettings, settingsHelp } from '../node/index.ts'
import { parseCommandLine } from './args.ts'
import { DATA_DIR_OPTION } from './data-dir-option.ts'
import { nodeIdentity } from './ledger-options.ts'

/** The settings of `meshtrain ledger verify` (flags only). */
export const LEDGER_VERIFY_SETTINGS = {
  dataDir: { ...DATA_DIR_OPTION, defaultText: 'none (give --data-dir, or --file with --peer)' },
  file: {
    kind: 'string', default: '', defaultText: 'none', arg: 'FILE', allowed: 'a file written by meshtrain ledger export', persistent: false,
    help: 'verify an export instead of a data directory (needs --peer)', parse: (raw: string) => raw
  },
  peer: {
    kind: 'string', default: '', defaultText: 'none', arg: 'PEER_ID', allowed: 'a peer id (12D3KooW...)', persistent: false,
    help: 'whose log the export claims to be: its signatures are checked against this peer\'s key', parse: parsePeerId
  },
  peerExport: {
    kind: 'list', default: Object.freeze([]) as readonly string[], defaultText: 'none', arg: 'FILE', allowed: 'files written by meshtrain ledger export on other nodes', persistent: false,
    help: 'with --data-dir: check the checkpoints this node recorded from that peer against the peer\'s exported log (a fork shows)', parse: listOf((raw: string) => raw)
  }
} as const

const HELP = `usage: meshtrain ledger verify --data-dir DIR [--peer-export FILE ...]
       meshtrain ledger verify --file FILE --peer PEER_ID

Decodes every entry strictly and checks the chain, the peer table references, the Merkle root
against the signed checkpoint and its signature and, for a data directory, the models it holds
against their hashes. The checkpoint's one signature authenticates every entry it covers (it
signs their Merkle root); entries after it (a round in progress) are counted, not signed yet.
For a node on a private network, each round's privacy entry is checked against its training
(the steps it accounts, a count of steps that never goes back) and its epsilon is recomputed
from the recorded steps, sampling rate, noise multiplier and delta with meshtrain's accountant
(RDP of the subsampled Gaussian); a second line prints the epsilon spent by the last one.
Exit 0 when all holds; 1 with the first failure (entry number, what is wrong); 2 for bad options.
With --peer-export, also checks the checkpoints this node recorded from each exporting peer
against that peer's log: a peer that showed this node one history and its export another is
named with the entry that witnessed it.

`

/** The one line printed for a log that verified. */
export function verifiedLine (what: string, report: LedgerReport, checkpointSize: number | undefined): string {
  const unsigned = report.unsigned > 0 ? ` (${report.unsigned} entries after it, not signed yet)` : ''
  return `ledger ok: ${what}: ${report.entries.length} entries, root ${report.root}${checkpointSize === undefined ? ', no checkpoint yet' : `, checkpoint of ${checkpointSize} entries verified${unsigned}`}`
}

/** The line printed after a verified log with `privacy` entries: the epsilon spent by the last, recomputed; undefined for a log without any. */
export function privacyLine (report: LedgerReport): string | undefined {
  const entries = report.entries.map(e => e.entry)
  const last = lastPrivacyRecord(entries)
  if (last === undefined) return undefined
  const rounds = entries.filter(e => e.kind === 'privacy').length
  const { mechanism, epsilon, stepsSpent, samplingRate, noiseMultiplier, clipNorm, delta } = last.body
  return `privacy ok: ${rounds} round${rounds === 1 ? '' : 's'} trained with ${mechanism}, each epsilon recomputed; epsilon ${epsilon} spent by round ${last.body.round} after ${stepsSpent} steps (sampling rate ${samplingRate}, noise multiplier ${noiseMultiplier}, clip norm ${clipNorm}, delta ${delta})`
}

/** The lines printed for a log that verified: {@link verifiedLine}, then {@link privacyLine} when it has one. */
function verifiedLines (what: string, report: LedgerReport, checkpointSize: number | undefined): string {
  const privacy = privacyLine(report)
  return verifiedLine(what, report, checkpointSize) + (privacy === undefined ? '' : `\n${privacy}`)
}

/** `meshtrain ledger verify`. */
export async function ledgerVerifyCommand (argv: string[]): Promise<void> {
  const { flags, help } = parseCommandLine(argv, LEDGER_VERIFY_SETTINGS)
  if (help) return void process.stdout.write(`${HELP}${settingsHelp(LEDGER_VERIFY_SETTINGS)}\n`)
  const options = resolveSettings(LEDGER_VERIFY_SETTINGS, { flags })
  const dataDir = options.dataDir !== '' ? options.dataDir : options.file === '' ? process.env.MESHTRAIN_DATA_DIR ?? '' : ''
  if (options.file !== '' && dataDir !== '') throw new ConfigError('file', '--file and --data-dir verify different things: give one of them')
  if (options.file !== '') {
    if (options.peer === '') throw new ConfigError('peer', '--file needs --peer PEER_ID: the peer whose log the export should be')
    process.stdout.write(await verifyExportFile(options.file, options.peer) + '\n')
    return
  }
  if (dataDir === '') throw new ConfigError('dataDir', '--data-dir DIR is required (or --file FILE --peer PEER_ID)')
  const { key, peerId } = await nodeIdentity(dataDir)
  const report = await verifyLedgerDirectory(dataDir, peerId, key.publicKey)
  if (report.failure !== undefined) throw new RuntimeFailure('ledger-invalid', `ledger of ${dataDir}: ${formatLedgerFailure(report.failure)}`)
  const checkpoint = await readFile(`${dataDir}/ledger/checkpoint`, 'utf8').then(t => Number(t.split(':')[0]), () => undefined)
  process.stdout.write(verifiedLines(dataDir, report, checkpoint) + '\n')
  for (const file of options.peerExport) {
    const exported = await readExport(file)
    const peerLog = await verifyRecords(exported.records, exported.peerId, publicKeyOf(exported.peerId), exported.checkpoint)
    if (peerLog.failure !== undefined) throw new RuntimeFailure('ledger-invalid', `export ${file} of ${exported.peerId}: ${formatLedgerFailure(peerLog.failure)}`)
    const witnessed = witnessedCheckpointFailure(report.entries, exported.peerId, peerLog.entries, exported.checkpoint?.time)
    if (witnessed.failure !== undefined) throw new RuntimeFailure('ledger-fork', `ledger of ${dataDir}: ${formatLedgerFailure(witnessed.failure)}`)
    process.stdout.write(`witnessed ok: ${witnessed.checked} checkpoints of ${exported.peerId} recorded here match its export ${file}${witnessed.unchecked > 0 ? ` (${witnessed.unchecked} signed after the export, not checked)` : ''}\n`)
  }
}

async function readExport (file: string): Promise<ReturnType<typeof parseLedgerExport>> {
  let bytes: Buffer
  try {
    bytes = await readFile(file)
  } catch (err) {
    throw new ConfigError('file', `${file}: ${(err as NodeJS.ErrnoException).code ?? 'cannot be read'}`, { cause: err })
  }
  return parseLedgerExport(bytes)
}

function publicKeyOf (peer: string): PublicKey {
  const publicKey = peerIdFromString(peer).publicKey
  if (publicKey === undefined) throw new InputError('bad-peer', `peer ${peer} does not embed its public key`)
  return publicKey
}

/**
 * Verify an export against `peer`'s key: every entry, then the checkpoint in its header.
 * @returns the lines to print.
 * @throws InputError when the file cannot be read or is not an export; RuntimeFailure naming the first failure.
 */
export async function verifyExportFile (file: string, peer: string): Promise<string> {
  const exported = await readExport(file)
  const publicKey = publicKeyOf(peer)
  const report = await verifyRecords(exported.records, peer, publicKey, exported.checkpoint)
  const failure = report.failure
  if (failure !== undefined) throw new RuntimeFailure('ledger-invalid', `export ${file} of ${peer}: ${formatLedgerFailure(failure)}`)
  return verifiedLines(`export ${file} of ${peer}`, report, exported.checkpoint?.size)
}
