import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ConfigError } from '../errors/index.ts'
import {
  MANIFESTS_DIR, adoptVersion, aggregatorFor, dataDirPaths, integerIn, listOf, loadCheckpoint, loadIdentity, loadManifestChain, parsePeerId, readManifestFile,
  readVersionFile, resolveSettings, settingsHelp, versionName, writeJsonAtomically
} from '../node/index.ts'
import type { ManifestChain } from '../node/index.ts'
import {
  MAX_FROM_ROUND, ManifestVersionError, adminThreshold, applyChanges, manifestHash, parameterCount, proposeVersion, signVersion, verifyVersion
} from '../protocol/index.ts'
import type { ManifestChanges, ManifestState, NetworkManifest } from '../protocol/index.ts'
import { parseCommandLine } from './args.ts'
import { DATA_DIR_OPTION, requireDataDir } from './data-dir-option.ts'

/**
 * `meshtrain manifest show|propose|sign|publish`: the consortium's signed chain of manifest
 * versions (src/protocol/manifest-version.ts) from the command line, without starting a node.
 */

const text = (arg: string, help: string, allowed: string) =>
  ({ kind: 'string', default: undefined as string | undefined, defaultText: 'none', arg, allowed, help, persistent: false, parse: (raw: string) => raw }) as const
const peers = (help: string) =>
  ({ kind: 'list', default: [] as readonly string[], defaultText: 'none', arg: 'ID', allowed: 'peer ids', help, persistent: false, parse: listOf(parsePeerId) }) as const

const SHOW_OPTIONS = { dataDir: DATA_DIR_OPTION }
const PROPOSE_OPTIONS = {
  dataDir: DATA_DIR_OPTION,
  addMember: peers('a peer id to add to the members (meshtrain id prints it)'),
  removeMember: peers('a peer id to remove from the members'),
  set: {
    kind: 'list', default: [] as readonly string[], defaultText: 'none', arg: 'KEY=VALUE', persistent: false,
    allowed: 'KEY=VALUE (repeat the flag; VALUE is read as JSON when it parses, else as text)',
    help: 'a changed setting: threshold, admins (comma-separated peer ids), aggregation.<option>, aggregation (JSON), rounds.<quorum|deadlineMs|window|fanout>',
    // Not split at commas: `admins=ID,ID` and JSON values hold them.
    parse: (raw: string | readonly string[]): readonly string[] => {
      const items = typeof raw === 'string' ? [raw] : [...raw]
      if (!items.every(item => /^[A-Za-z.]+=/.test(item))) throw new Error('')
      return items
    }
  } as const,
  fromRound: {
    kind: 'integer', default: undefined as number | undefined, defaultText: 'the round after this node\'s checkpoint', arg: 'R', allowed: `a whole number up to ${MAX_FROM_ROUND}`,
    help: 'the first round trained under the new version', persistent: false, parse: integerIn(0, MAX_FROM_ROUND)
  } as const,
  out: text('FILE', 'where to write the unsigned next version (required)', 'a file path')
}
const FILE_OPTIONS = { dataDir: DATA_DIR_OPTION }

const HELP = `usage:
  meshtrain manifest show --data-dir DIR
  meshtrain manifest propose --data-dir DIR [--add-member ID] [--remove-member ID] [--set KEY=VALUE] [--from-round R] --out FILE
  meshtrain manifest sign FILE --data-dir DIR
  meshtrain manifest publish FILE --data-dir DIR

The network's manifest after its genesis (DIR/manifest.json, whose hash stays the network id) is a
chain of versions in DIR/${MANIFESTS_DIR}/, each signed by at least k of the admins of the version
before (docs/wire.md, "Manifest versions").
  show      the version this node runs under: number, hash, admins and k, members, rule, timing
  propose   write the unsigned next version to FILE (members added or removed, settings changed)
  sign      add this node's signature to FILE (admins of the previous version only)
  publish   verify FILE and adopt it into DIR/${MANIFESTS_DIR}/; a running node follows it within a round

`

/** `meshtrain manifest ...`. */
export async function manifestCommand (argv: string[]): Promise<void> {
  const [sub, ...rest] = argv
  switch (sub) {
    case 'show': return show(rest)
    case 'propose': return propose(rest)
    case 'sign': return sign(rest)
    case 'publish': return publish(rest)
    case undefined: case 'help': case '--help': case '-h':
      return void process.stdout.write(`${HELP}options of propose:\n${settingsHelp(PROPOSE_OPTIONS)}\n`)
    default: throw new ConfigError('command', `unknown manifest command ${JSON.stringify(sub)}; commands: show, propose, sign, publish`)
  }
}

async function show (argv: string[]): Promise<void> {
  const { flags, help } = parseCommandLine(argv, SHOW_OPTIONS)
  if (help) return void process.stdout.write(HELP)
  const { chain } = await readChain(requireDataDir(flags))
  process.stdout.write(describe(chain.current) + '\n')
}

/** What `manifest show` prints for a state. */
export function describe (state: ManifestState): string {
  const m = state.manifest
  const admins = m.admins ?? []
  const rounds = `quorum ${m.rounds.quorum}, deadline ${m.rounds.deadlineMs} ms, window ${m.rounds.window}${m.rounds.fanout === undefined ? '' : `, fanout ${m.rounds.fanout}`}`
  return [
    `network ${state.networkId} (${m.name})`,
    `manifest ${versionName(state)}, from round ${state.fromRound}; hash ${state.hash}`,
    admins.length === 0 ? 'admins: none (the manifest cannot change)' : `admins: ${adminThreshold(m)} of ${admins.length} sign a version: ${admins.join(', ')}`,
    m.members.length === 0 ? 'members: open (any peer holding the network key, if any)' : `members (${m.members.length}): ${m.members.join(', ')}`,
    `aggregation: ${JSON.stringify(m.aggregation)}`,
    `rounds: ${rounds}`
  ].join('\n')
}

async function propose (argv: string[]): Promise<void> {
  const { flags, help } = parseCommandLine(argv, PROPOSE_OPTIONS)
  if (help) return void process.stdout.write(`${HELP}${settingsHelp(PROPOSE_OPTIONS)}\n`)
  const dataDir = requireDataDir(flags)
  const options = resolveSettings(PROPOSE_OPTIONS, { flags })
  const out = options.out
  if (out === undefined || out === '') throw new ConfigError('out', '--out FILE is required: where to write the unsigned version')
  const { genesis, chain } = await readChain(dataDir)
  const state = chain.current
  const changes = changesFrom(state.manifest, { add: options.addMember, remove: options.removeMember, set: options.set })
  let fromRound = options.fromRound
  if (fromRound === undefined) {
    const checkpoint = await loadCheckpoint(dataDirPaths(dataDir).checkpoints, state.networkId, parameterCount(genesis.model))
    fromRound = Math.max(state.fromRound, checkpoint === undefined ? 0 : checkpoint.round + 1)
  }
  const fields = proposeVersion(state, changes, fromRound)
  // The same preconditions as init and start: a version must leave the rule enough inputs.
  aggregatorFor(applyChanges(state.manifest, changes))
  await writeJsonAtomically(out, { ...fields, signatures: [] })
  const admins = state.manifest.admins ?? []
  process.stdout.write(`wrote unsigned version ${fields.version} (${manifestHash(fields).slice(0, 12)}) to ${out}, from round ${fields.fromRound}; changes ${Object.keys(changes).join(', ')}\n` +
    `it needs ${adminThreshold(state.manifest)} of ${admins.length} admin signatures: meshtrain manifest sign ${out} --data-dir DIR (on each admin)\n`)
}

async function sign (argv: string[]): Promise<void> {
  const { flags, help, positionals } = parseCommandLine(argv, FILE_OPTIONS, { positionals: true })
  if (help) return void process.stdout.write(HELP)
  const file = onePositional(positionals)
  const dataDir = requireDataDir(flags)
  const [{ chain }, version, privateKey] = await Promise.all([readChain(dataDir), readVersionFile(file), loadIdentity(dataDir)])
  const before = chain.states[version.version - 1]
  if (before === undefined) throw new ManifestVersionError('wrong-number', `${file} is version ${version.version}; this node holds versions up to ${chain.current.version}: publish the ones before it first`)
  if (version.previous !== before.hash) throw new ManifestVersionError('wrong-previous', `${file} names previous ${version.previous}, but version ${before.version} is ${before.hash}`)
  const signer = peerIdFromPrivateKey(privateKey).toString()
  const admins = before.manifest.admins ?? []
  if (!admins.includes(signer)) {
    throw new ConfigError('admins', `this node (${signer}) is not an admin of version ${before.version}, so its signature cannot count; admins: ${admins.join(', ') || 'none'}`)
  }
  const signed = await signVersion(version, privateKey)
  await writeJsonAtomically(file, signed)
  const needed = adminThreshold(before.manifest)
  const ready = await verifyVersion(before, signed).then(() => true, (err: unknown) => {
    if (err instanceof ManifestVersionError && err.reason === 'too-few-signatures') return false
    throw err
  })
  process.stdout.write(`signed version ${signed.version} in ${file}: ${signed.signatures.length} signature${signed.signatures.length === 1 ? '' : 's'}, ${needed} needed; ` +
    (ready ? `ready: publish it on every member with meshtrain manifest publish ${file} --data-dir DIR\n` : `${needed - signed.signatures.length} more admin signature(s) to collect\n`))
}

async function publish (argv: string[]): Promise<void> {
  const { flags, help, positionals } = parseCommandLine(argv, FILE_OPTIONS, { positionals: true })
  if (help) return void process.stdout.write(HELP)
  const file = onePositional(positionals)
  const dataDir = requireDataDir(flags)
  const [{ chain }, version] = await Promise.all([readChain(dataDir), readVersionFile(file)])
  const next = await adoptVersion(dataDir, chain, version)
  if (next === chain) return void process.stdout.write(`version ${version.version} is already adopted in ${dataDir}\n`)
  process.stdout.write(`adopted manifest ${versionName(next.current)} in ${dataDir}; a running node follows it within a round\n${describe(next.current)}\n`)
}

async function readChain (dataDir: string): Promise<{ genesis: NetworkManifest, chain: ManifestChain }> {
  const genesis = await readManifestFile(dataDirPaths(dataDir).manifest)
  return { genesis, chain: await loadManifestChain(dataDir, genesis) }
}

/**
 * The changes `--add-member`, `--remove-member` and `--set` make to `manifest`.
 * @throws ConfigError naming the flag and the value.
 */
export function changesFrom (manifest: NetworkManifest, flags: { add: readonly string[], remove: readonly string[], set: readonly string[] }): ManifestChanges {
  const changes: Record<string, unknown> = {}
  if (flags.add.length > 0 || flags.remove.length > 0) {
    for (const id of flags.add) if (manifest.members.includes(id)) throw new ConfigError('addMember', `--add-member ${id}: already a member`)
    for (const id of flags.remove) if (!manifest.members.includes(id)) throw new ConfigError('removeMember', `--remove-member ${id}: not a member`)
    changes.members = [...manifest.members.filter(m => !flags.remove.includes(m)), ...flags.add].sort()
  }
  for (const assignment of flags.set) {
    const at = assignment.indexOf('=')
    const key = assignment.slice(0, at)
    const value = jsonOrText(assignment.slice(at + 1))
    const [head, option, ...deeper] = key.split('.')
    if (deeper.length > 0 || head === undefined) throw new ConfigError('set', `--set ${key}: at most one dot (aggregation.f, rounds.quorum)`)
    if (head === 'threshold' && option === undefined) changes.threshold = value
    else if (head === 'admins' && option === undefined) changes.admins = typeof value === 'string' ? value.split(',').map(s => s.trim()).filter(s => s !== '') : value
    else if ((head === 'aggregation' || head === 'rounds') && option === undefined) changes[head] = value
    else if (head === 'aggregation' || head === 'rounds') {
      const current = (changes[head] ?? manifest[head]) as Record<string, unknown>
      changes[head] = { ...current, [option as string]: value }
    } else {
      throw new ConfigError('set', `--set ${key}: a version may change threshold, admins, aggregation[.option] and rounds[.quorum|deadlineMs|window|fanout] (members with --add-member/--remove-member)`)
    }
  }
  if (Object.keys(changes).length === 0) throw new ConfigError('set', 'nothing to change: give --add-member, --remove-member or --set')
  return changes as ManifestChanges
}

function jsonOrText (raw: string): unknown {
  try {
    return JSON.parse(raw)
  } catch {
    return raw
  }
}

function onePositional (positionals: readonly string[]): string {
  if (positionals.length !== 1) throw new ConfigError('argument', `expected one version FILE, got ${positionals.length}`)
  return positionals[0] as string
}
