import type { PeerView } from '../api/index.ts'
import { resolveSettings, settingsHelp } from '../node/index.ts'
import { ApiClient } from './api-client.ts'
import { API_COMMAND_OPTIONS } from './api-command-options.ts'
import { parseCommandLine } from './args.ts'
import { requireDataDir } from './data-dir-option.ts'

const HELP = `usage: meshtrain peers --data-dir DIR [--json]

Lists the peers of the running node of DIR: connected or not, latency, gossipsub score, the last
round and model it announced, its announcements and models by verdict, graylisted or banned.
Exit status 2 when the node cannot be reached.

`

/** `meshtrain peers`. */
export async function peersCommand (argv: string[]): Promise<void> {
  const { flags, help } = parseCommandLine(argv, API_COMMAND_OPTIONS)
  if (help) return void process.stdout.write(`${HELP}${settingsHelp(API_COMMAND_OPTIONS)}\n`)
  const options = resolveSettings(API_COMMAND_OPTIONS, { flags })
  const client = await ApiClient.fromDataDir(requireDataDir(flags))
  const { body } = await client.getJson<{ peers: PeerView[] }>('/api/v1/peers')
  if (options.json) return void process.stdout.write(JSON.stringify(body.peers) + '\n')
  if (body.peers.length === 0) return void process.stdout.write('no peers\n')
  process.stdout.write(body.peers.map(peerLine).join('\n') + '\n')
}

/** `12D3Koo...  connected  3 ms  score 1.20  round 14 (9f3a0c1e)  accept 14, stale-round 1`. */
export function peerLine (p: PeerView): string {
  const verdicts = Object.entries(p.verdicts).map(([code, n]) => `${code} ${n}`).join(', ') || 'nothing judged yet'
  return [
    p.peerId,
    p.connected ? 'connected' : 'not connected',
    p.latencyMs === null ? 'latency -' : `${Math.round(p.latencyMs)} ms`,
    `score ${p.score.toFixed(2)}`,
    p.lastRound === null ? 'no round yet' : `round ${p.lastRound} (${(p.lastModelHash ?? '').slice(0, 8)})`,
    verdicts,
    ...(p.graylisted ? ['graylisted'] : []),
    ...(p.bannedUntil === null ? [] : [`banned until ${p.bannedUntil}`])
  ].join('  ')
}
