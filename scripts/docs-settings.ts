/**
 * `npm run docs:settings`: rewrite the README's settings table from the settings table in
 * src/node/config.ts (a unit test checks that the two agree).
 */
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { nodeSettingsMarkdown } from '../src/node/index.ts'

const README = fileURLToPath(new URL('../README.md', import.meta.url))
const START = '<!-- settings-table:start -->'
const END = '<!-- settings-table:end -->'

const text = await readFile(README, 'utf8')
const start = text.indexOf(START)
const end = text.indexOf(END)
if (start === -1 || end < start) throw new Error(`README.md has no ${START} ... ${END} markers`)
await writeFile(README, `${text.slice(0, start + START.length)}\n${nodeSettingsMarkdown()}\n${text.slice(end)}`)
console.log('README.md: settings table rewritten')
