import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { Multiaddr } from '@multiformats/multiaddr'
import { parseAttack } from '../adversary/index.ts'
import type { AttackSpec } from '../adversary/index.ts'
import { BACKEND_CHOICES, DATA_SOURCE_FORMS, PARTITION_FORMS, parseDataSource, parsePartition } from '../model/index.ts'
import type { BackendChoice, DataSource, PartitionScheme } from '../model/index.ts'
import { API_OFF, DEFAULT_API_ADDRESS, parseApiAddress } from '../api-endpoint/index.ts'
import type { ApiAddress } from '../api-endpoint/index.ts'
import { DEFAULT_TARGET_PEERS, MAX_TARGET_PEERS } from '../protocol/index.ts'
import { boolean, integerIn, listOf, oneOf, resolveSettings, settingsHelp, settingsMarkdown } from './settings-table.ts'
import type { Setting, SettingLayers, SettingsOf } from './settings-table.ts'

/**
 * Operator settings of a daemon: one table, resolved once at start-up into a frozen object of
 * typed values, from defaults < <data-dir>/config.json < MESHTRAIN_* environment < flags.
 */

/** Which part of the data a node trains on: part `index` of `count`. */
export interface Shard { readonly index: number, readonly count: number }

/** Most rounds a node may be told to run (0 runs until stopped). */
export const MAX_ROUNDS = 10_000_000

/** Largest `waitForPeers`: the most peers one swarm starts (a node may wait for all the others). */
export const MAX_WAIT_FOR_PEERS = 10_000

/** Largest `minRoundMs`: an hour. */
export const MAX_MIN_ROUND_MS = 3_600_000

/** Most shards a data set may be split into. */
export const MAX_SHARDS = 100_000
/** Largest process id (Linux's PID_MAX_LIMIT, 2^22). */
export const MAX_PID = 2 ** 22

/** Largest seed: seeds are 32-bit. */
export const MAX_SEED = 2 ** 32 - 1

/** `2/4` -> { index: 2, count: 4 }. @throws Error when malformed or out of range. */
export function parseShard (text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text)
  const index = Number(m?.[1])
  const count = Number(m?.[2])
  if (m === null || count < 1 || count > MAX_SHARDS || index >= count) throw new Error('')
  return Object.freeze({ index, count })
}

/** A TCP listen address on IPv4 or IPv6, e.g. `/ip4/0.0.0.0/tcp/7171`. @throws Error saying what is wrong. */
export function parseListenAddress (text: string): Multiaddr {
  const address = multiaddr(text)
  const [host, transport, ...rest] = address.getComponents()
  if (host === undefined || !['ip4', 'ip6'].includes(host.name) || transport?.name !== 'tcp' || rest.length > 0) {
    throw new Error('not of the form /ip4/HOST/tcp/PORT or /ip6/HOST/tcp/PORT')
  }
  return address
}

/** A peer's address ending in `/p2p/<peer-id>`, with a valid peer id. @throws Error saying what is wrong. */
export function parsePeerAddress (text: string): Multiaddr {
  const address = multiaddr(text)
  const peer = address.getComponents().findLast(c => c.name === 'p2p')
  if (peer?.value === undefined) throw new Error('no /p2p/<peer-id> at the end')
  try {
    peerIdFromString(peer.value)
  } catch (err) {
    throw new Error(`bad peer id ${peer.value}: ${(err as Error).message}`, { cause: err })
  }
  return address
}

/** A peer id (base58btc, e.g. `12D3KooW...`). @throws Error when it does not decode. */
export function parsePeerId (text: string): string {
  return peerIdFromString(text).toString()
}

/** Every operator setting of `meshtrain start` (and of `init`, which writes them to config.json). */
export const SETTINGS = {
  dataDir: {
    kind: 'string', default: '', defaultText: 'none (required)', arg: 'DIR', allowed: 'a directory path',
    help: 'directory holding identity.key, config.json, manifest.json and checkpoints/',
    parse: (raw: string) => { if (raw === '') throw new Error(''); return raw }
  },
  listen: {
    kind: 'list', default: Object.freeze([multiaddr('/ip4/0.0.0.0/tcp/7171')]), defaultText: '/ip4/0.0.0.0/tcp/7171', arg: 'ADDR',
    allowed: 'TCP multiaddrs such as /ip4/127.0.0.1/tcp/7171 (port 0: any free port)', help: 'addresses to listen on',
    parse: (raw: string | readonly string[]) => {
      const addresses = listOf(parseListenAddress)(raw)
      if (addresses.length === 0) throw new Error('no address given')
      return addresses
    }
  },
  bootstrap: {
    kind: 'list', default: Object.freeze([] as Multiaddr[]), defaultText: 'none', arg: 'ADDR',
    allowed: 'multiaddrs ending in /p2p/<peer-id>', help: 'peers to dial at start, and redial while they are away',
    parse: listOf(parsePeerAddress)
  },
  targetPeers: {
    kind: 'integer', default: DEFAULT_TARGET_PEERS, defaultText: String(DEFAULT_TARGET_PEERS), arg: 'N', allowed: `a whole number from 1 to ${MAX_TARGET_PEERS}`,
    help: 'keep connections to about N peers: dial bootstrap, synced and mDNS peers only while connected to fewer, hang up on peers beyond a quarter more (models are still fetched from any peer whose address is known)',
    parse: integerIn(1, MAX_TARGET_PEERS)
  },
  mdns: {
    kind: 'boolean', default: true, defaultText: 'on', allowed: 'on or off', help: 'find peers on the local network with multicast DNS', parse: boolean
  },
  data: {
    kind: 'string', default: Object.freeze({ kind: 'mnist' }) as DataSource, defaultText: 'mnist', arg: 'SOURCE',
    allowed: DATA_SOURCE_FORMS.join(', '), help: 'training data: the built-in MNIST digits, IDX files (gzipped or not) or a CSV file',
    parse: parseDataSource
  },
  standardize: {
    kind: 'boolean', default: true, defaultText: 'on', allowed: 'on or off',
    help: 'CSV data: scale every feature to mean 0 and standard deviation 1 using this node\'s own train rows (off: use the values as they are)', parse: boolean
  },
  shard: {
    kind: 'string', default: Object.freeze({ index: 0, count: 1 }) as Shard, defaultText: '0/1', arg: 'INDEX/COUNT',
    allowed: `INDEX/COUNT with 0 <= INDEX < COUNT <= ${MAX_SHARDS}, e.g. 0/1 or 2/4`, help: 'train on part INDEX of COUNT of the data (for swarms and experiments)',
    parse: parseShard
  },
  partition: {
    kind: 'string', default: Object.freeze({ kind: 'iid' }) as PartitionScheme, defaultText: 'iid', arg: 'SCHEME',
    allowed: `${PARTITION_FORMS.join(' or ')} with ALPHA > 0`, help: 'how the data is split into shards',
    parse: parsePartition
  },
  dataSeed: {
    kind: 'integer', default: 1, defaultText: '1', arg: 'N', allowed: `a whole number from 0 to ${MAX_SEED}`,
    help: 'seed of the data split and of mini-batch sampling', parse: integerIn(0, MAX_SEED)
  },
  rounds: {
    kind: 'integer', default: 0, defaultText: '0', arg: 'N', allowed: `a whole number from 0 to ${MAX_ROUNDS}`,
    help: 'stop after this many rounds (0: run until stopped)', parse: integerIn(0, MAX_ROUNDS)
  },
  minRoundMs: {
    kind: 'integer', default: 0, defaultText: '0', arg: 'MS', allowed: `a whole number from 0 to ${MAX_MIN_ROUND_MS}`,
    help: 'start a round at most every MS milliseconds: a round that closes sooner (its quorum in) waits out the rest before the node trains again (0: as fast as the quorum allows; for a node that shares its machine, or a test network that only needs its nodes running)',
    parse: integerIn(0, MAX_MIN_ROUND_MS)
  },
  waitForPeers: {
    kind: 'integer', default: 0, defaultText: '0', arg: 'N', allowed: `a whole number from 0 to ${MAX_WAIT_FOR_PEERS}`,
    help: 'before its first round, wait until N peers have been seen on the network\'s topic, a peer announces a model, or a round\'s quorum of peers have been seen and no new one for 2 min, or 3 times the longest pause between new peers (swarm sets it, so daemons started one after another begin together)',
    parse: integerIn(0, MAX_WAIT_FOR_PEERS)
  },
  ledgerKeepInputs: {
    kind: 'integer', default: 100, defaultText: '100', arg: 'N', allowed: `a whole number from 0 to ${MAX_ROUNDS}`,
    help: 'rounds for which <data-dir>/models/ keeps the models of peers\' inputs, for ledger reproduce (aggregate outputs are kept for good; the log itself is never pruned)',
    parse: integerIn(0, MAX_ROUNDS)
  },
  backend: {
    kind: 'string', default: 'auto' as BackendChoice, defaultText: 'auto', arg: 'NAME', allowed: `one of ${BACKEND_CHOICES.join(', ')}`,
    help: 'TensorFlow.js backend; auto tries tensorflow, then wasm, then cpu', parse: oneOf(BACKEND_CHOICES)
  },
  logFormat: {
    kind: 'string', default: 'text' as 'text' | 'json', defaultText: 'text', arg: 'FORMAT', allowed: 'text or json',
    help: 'status lines as text, or as one JSON object per line', parse: oneOf(['text', 'json'] as const)
  },
  debug: {
    kind: 'boolean', default: false, defaultText: 'off', allowed: 'on or off', help: 'write debug lines to stderr', parse: boolean
  },
  api: {
    kind: 'string', default: DEFAULT_API_ADDRESS as ApiAddress | undefined, defaultText: '127.0.0.1:7172', arg: 'HOST:PORT', negatable: true,
    allowed: `HOST:PORT (port 0: any free port; a host other than loopback needs <data-dir>/api-token), or ${API_OFF} (--no-api)`,
    help: 'address of the HTTP API, metrics and dashboard; the address it listens on is written to <data-dir>/api',
    parse: (raw: string | false) => (raw === false ? undefined : parseApiAddress(raw))
  },
  attack: {
    kind: 'string', default: undefined as AttackSpec | undefined, defaultText: 'none', arg: 'NAME[:k=v,...]',
    allowed: 'none or an attack from meshtrain swarm --help, NAME[:k=v,...]',
    help: 'testers only: make this node a Byzantine attacker',
    parse: (raw: string) => (raw === 'none' ? undefined : parseAttack(raw))
  },
  colluders: {
    kind: 'list', default: Object.freeze([] as string[]), defaultText: 'none', arg: 'PEER_ID', allowed: 'peer ids',
    help: 'testers only, with --attack: the peer ids of all attacking nodes, which do not wait for each other\'s models',
    parse: listOf(parsePeerId)
  },
  parentPid: {
    kind: 'integer', default: 0, defaultText: '0 (none)', arg: 'PID', allowed: `a process id from 1 to ${MAX_PID}, or 0`, persistent: false,
    help: 'for supervisors such as swarm: stop when process PID exits (under npm start or npx the node stops with npm anyway)',
    parse: integerIn(0, MAX_PID)
  }
} as const satisfies Record<string, Setting<unknown>>

export type SettingName = keyof typeof SETTINGS

/** The resolved, validated, typed settings of a daemon. */
export type NodeConfig = SettingsOf<typeof SETTINGS>

/**
 * Merge and parse the layers of the daemon's settings. Pure.
 * @throws ConfigError naming the setting, the value, its source and what is allowed.
 */
export function resolveConfig (layers: SettingLayers): NodeConfig {
  return resolveSettings(SETTINGS, layers)
}

/** The text `meshtrain start --help` prints. */
export function nodeSettingsHelp (): string {
  return settingsHelp(SETTINGS)
}

/** The README's settings table. */
export function nodeSettingsMarkdown (): string {
  return settingsMarkdown(SETTINGS)
}
