import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PEER_ALIGNMENT_FILE, loadPeerAlignmentState, savePeerAlignmentState } from '../../../src/node/index.ts'
import type { Logger } from '../../../src/round/index.ts'

describe('<data-dir>/peer-alignment.json', () => {
  let dir: string
  const warnings: string[] = []
  const log: Logger = { info: () => {}, debug: () => {}, warn: (m: string) => { warnings.push(m) } }
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'meshtrain-alignment-')); warnings.length = 0 })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('is empty before the first save, and reads back what was saved', async () => {
    assert.deepEqual(await loadPeerAlignmentState(dir, log), {})
    const state = { peerA: { average: -0.25, rounds: 12 }, peerB: { average: 0.5, rounds: 3 } }
    await savePeerAlignmentState(dir, state, log)
    assert.deepEqual(await loadPeerAlignmentState(dir, log), state)
    assert.deepEqual(await readdir(dir), [PEER_ALIGNMENT_FILE], 'no temporary file left')
    assert.deepEqual(warnings, [])
  })

  it('one that cannot be read back is a warning naming the file, and the memory starts empty', async () => {
    const path = join(dir, PEER_ALIGNMENT_FILE)
    for (const text of ['{ torn', '{"p":{"average":3,"rounds":1}}']) {
      await writeFile(path, text)
      assert.deepEqual(await loadPeerAlignmentState(dir, log), {})
    }
    assert.equal(warnings.length, 2)
    for (const w of warnings) assert.ok(w.startsWith(`${path}: `) && w.endsWith('the peer-alignment memory starts empty'), w)
    assert.equal(await readFile(path, 'utf8'), '{"p":{"average":3,"rounds":1}}', 'the file is left for the operator to look at')
  })

  it('a save that fails is a warning, and the last saved state stays', async () => {
    await savePeerAlignmentState(dir, { p: { average: 0.1, rounds: 1 } }, log)
    // A directory where the temporary file would go: the write fails.
    await mkdir(join(dir, `${PEER_ALIGNMENT_FILE}.${process.pid}.tmp`))
    await savePeerAlignmentState(dir, { p: { average: -0.9, rounds: 2 } }, log)
    assert.equal(warnings.length, 1)
    assert.match(warnings[0] ?? '', /cannot write .*peer-alignment\.json: .*keeping the last saved peer-alignment memory/)
    assert.deepEqual(await loadPeerAlignmentState(dir, log), { p: { average: 0.1, rounds: 1 } })
  })
})
