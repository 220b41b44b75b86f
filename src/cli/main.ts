#!/usr/bin/env node
/**
 * The `meshtrain` command. Exit status: 0 done, 1 runtime failure, 2 bad input (the message names
 * it), 130 forced stop. An expected failure prints one line; only a bug prints a stack.
 */
// First: a SIGTERM while the other modules load exits 0 (./early-signals.ts).
import './early-signals.ts'
import { ConfigError, EXIT_STATUS, MeshtrainError } from '../errors/index.ts'
import { idCommand } from './id-command.ts'
import { initCommand } from './init-command.ts'
import { manifestCommand } from './manifest-command.ts'
import { ledgerCommand } from './ledger-command.ts'
import { privacyCommand } from './privacy-command.ts'
import { startCommand } from './start-command.ts'
import { statusCommand } from './status-command.ts'
import { peersCommand } from './peers-command.ts'
import { roundsCommand } from './rounds-command.ts'
import { apiTokenCommand } from './api-token-command.ts'
import { swarmCommand } from './swarm-command.ts'

const COMMANDS = {
  init: { run: initCommand, summary: 'create a node: identity key, config.json, manifest.json (see meshtrain init --help)' },
  start: { run: startCommand, summary: 'run the node (see meshtrain start --help)' },
  status: { run: statusCommand, summary: 'ask a running node how it is; exit 0 ready, 1 not ready, 2 unreachable (see meshtrain status --help)' },
  peers: { run: peersCommand, summary: 'list a running node\'s peers: latency, score, last round, verdicts (see meshtrain peers --help)' },
  rounds: { run: roundsCommand, summary: 'print a running node\'s round summaries, --follow for new ones (see meshtrain rounds --help)' },
  'api-token': { run: apiTokenCommand, summary: 'create the bearer token an API bound beyond loopback needs (see meshtrain api-token --help)' },
  id: { run: idCommand, summary: 'print the node\'s peer id and its line for the manifest\'s "members" (see meshtrain id --help)' },
  manifest: { run: manifestCommand, summary: 'show, propose, sign and publish signed manifest versions: members, admins, rule, timing (see meshtrain manifest --help)' },
  swarm: { run: swarmCommand, summary: 'run a local swarm of real daemons on 127.0.0.1 (see meshtrain swarm --help)' },
  privacy: { run: privacyCommand, summary: 'plan a differential-privacy budget: epsilon of a run, or the noise a budget needs (see meshtrain privacy --help)' },
  ledger: { run: ledgerCommand, summary: 'verify, export and read the audit ledger: lineage of a model, contributions of peers (see meshtrain ledger --help)' }
} as const satisfies Record<string, { run: (argv: string[]) => Promise<void>, summary: string }>

const USAGE = `usage: meshtrain <command> [options]

commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(11)}${c.summary}`).join('\n')}
`

async function main (argv: string[]): Promise<void> {
  const [command, ...rest] = argv
  if (command === undefined || ['help', '--help', '-h'].includes(command)) return void process.stdout.write(USAGE)
  if (!Object.hasOwn(COMMANDS, command)) {
    throw new ConfigError('command', `unknown command ${JSON.stringify(command)}; commands: ${Object.keys(COMMANDS).join(', ')}`)
  }
  await COMMANDS[command as keyof typeof COMMANDS].run(rest)
}

main(process.argv.slice(2)).then(() => {
  // Handles such as tfjs's wasm runtime may linger; the work is done.
  process.exit(EXIT_STATUS.ok)
}, (err: unknown) => {
  if (err instanceof MeshtrainError) {
    process.stderr.write(`meshtrain: ${err.message}\n`)
    process.exit(err.exitStatus)
  }
  // Not an expected failure: a bug. The stack is what a report needs.
  console.error('meshtrain: internal error (please report it):', err)
  process.exit(EXIT_STATUS.failure)
})
