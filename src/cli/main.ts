#!/usr/bin/env node
/**
 * The `meshtrain` command. Exit status: 0 done, 1 runtime failure, 2 bad input (the message names
 * it), 130 forced stop. An expected failure prints one line; only a bug prints a stack.
 */
// First, and with Node's own the only static imports: a SIGTERM exits 0 from here on
// (./early-signals.ts). ES modules load their whole static graph before running any of it, so each
// command's module is imported only when that command runs, and loads only the rooms it needs: a
// command that reads a node's files starts in a fraction of a second; `start` (once its settings are
// resolved, so that a bad one exits as fast) and `swarm` load the rest one room at a time
// (./room-loading.ts).
import './early-signals.ts'
import { ConfigError, EXIT_STATUS, MeshtrainError } from '../errors/index.ts'

/** The commands: a one-line summary and the command itself, loaded when it runs. */
const COMMANDS = {
  init: { summary: 'create a node: identity key, config.json, manifest.json (see meshtrain init --help)', run: async argv => { await (await import('./init-command.ts')).initCommand(argv) } },
  start: { summary: 'run the node (see meshtrain start --help)', run: async argv => { await (await import('./start-command.ts')).startCommand(argv) } },
  status: { summary: 'ask a running node how it is; exit 0 ready, 1 not ready, 2 unreachable (see meshtrain status --help)', run: async argv => { await (await import('./status-command.ts')).statusCommand(argv) } },
  peers: { summary: 'list a running node\'s peers: latency, score, last round, verdicts (see meshtrain peers --help)', run: async argv => { await (await import('./peers-command.ts')).peersCommand(argv) } },
  rounds: { summary: 'print a running node\'s round summaries, --follow for new ones (see meshtrain rounds --help)', run: async argv => { await (await import('./rounds-command.ts')).roundsCommand(argv) } },
  'api-token': { summary: 'create the bearer token an API bound beyond loopback needs (see meshtrain api-token --help)', run: async argv => { await (await import('./api-token-command.ts')).apiTokenCommand(argv) } },
  id: { summary: 'print the node\'s peer id and its line for the manifest\'s "members" (see meshtrain id --help)', run: async argv => { await (await import('./id-command.ts')).idCommand(argv) } },
  manifest: { summary: 'show, propose, sign and publish signed manifest versions: members, admins, rule, timing (see meshtrain manifest --help)', run: async argv => { await (await import('./manifest-command.ts')).manifestCommand(argv) } },
  swarm: {
    summary: 'run a local swarm of real daemons on 127.0.0.1 (see meshtrain swarm --help)',
    run: async argv => {
      await (await import('./room-loading.ts')).loadRoomsOneAtATime()
      await (await import('./swarm-command.ts')).swarmCommand(argv)
    }
  },
  privacy: { summary: 'plan a differential-privacy budget: epsilon of a run, or the noise a budget needs (see meshtrain privacy --help)', run: async argv => { await (await import('./privacy-command.ts')).privacyCommand(argv) } },
  ledger: { summary: 'verify, export and read the audit ledger: lineage of a model, contributions of peers (see meshtrain ledger --help)', run: async argv => { await (await import('./ledger-command.ts')).ledgerCommand(argv) } }
} as const satisfies Record<string, { summary: string, run: (argv: string[]) => Promise<void> }>

const USAGE = `usage: meshtrain <command> [options]

commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(11)}${c.summary}`).join('\n')}
  ${'version'.padEnd(11)}print meshtrain's version and Node's (also --version)
`

/** `meshtrain 0.1.0 (node v22.23.3)`: the version from the package's own package.json, beside the source or dist/. */
async function versionLine (): Promise<string> {
  const { readFile } = await import('node:fs/promises')
  const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  return `meshtrain ${version} (node ${process.version})\n`
}

async function main (argv: string[]): Promise<void> {
  const [command, ...rest] = argv
  if (command === undefined || ['help', '--help', '-h'].includes(command)) return void process.stdout.write(USAGE)
  if (['version', '--version'].includes(command)) return void process.stdout.write(await versionLine())
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
