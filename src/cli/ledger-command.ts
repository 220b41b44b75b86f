import { ConfigError } from '../errors/index.ts'
import { ledgerContributionsCommand } from './ledger-contributions-command.ts'
import { ledgerExportCommand } from './ledger-export-command.ts'
import { ledgerLineageCommand } from './ledger-lineage-command.ts'
import { ledgerReproduceCommand } from './ledger-reproduce-command.ts'
import { ledgerVerifyCommand } from './ledger-verify-command.ts'

const SUBCOMMANDS = {
  verify: { run: ledgerVerifyCommand, summary: 'check a node\'s log (--data-dir D) or an export (--file F --peer P); exit 1 naming the first failure' },
  export: { run: ledgerExportCommand, summary: 'write a node\'s log to one file an auditor can verify with the peer id alone' },
  lineage: { run: ledgerLineageCommand, summary: 'the rounds, peers, data and verdicts behind a model hash, as a tree or --json' },
  contributions: { run: ledgerContributionsCommand, summary: 'per-peer inputs, used and refused, summed contribution scores over a round range' },
  reproduce: { run: ledgerReproduceCommand, summary: 'recompute a round\'s aggregate from the stored inputs and check the output hash bit for bit' }
} as const satisfies Record<string, { run: (argv: string[]) => Promise<void>, summary: string }>

const USAGE = `usage: meshtrain ledger <command> [options]

The audit ledger: each node's signed, append-only, Merkle-tree log of what it trained on and whose
updates it accepted or refused (<data-dir>/ledger/, models in <data-dir>/models/).

${Object.entries(SUBCOMMANDS).map(([name, c]) => `  ${name.padEnd(15)}${c.summary}`).join('\n')}

See meshtrain ledger <command> --help.
`

/** `meshtrain ledger verify|export|lineage|contributions|reproduce`. */
export async function ledgerCommand (argv: string[]): Promise<void> {
  const [sub, ...rest] = argv
  if (sub === undefined || ['help', '--help', '-h'].includes(sub)) return void process.stdout.write(USAGE)
  if (!Object.hasOwn(SUBCOMMANDS, sub)) {
    throw new ConfigError('command', `unknown ledger command ${JSON.stringify(sub)}; ledger commands: ${Object.keys(SUBCOMMANDS).join(', ')}`)
  }
  await SUBCOMMANDS[sub as keyof typeof SUBCOMMANDS].run(rest)
}
