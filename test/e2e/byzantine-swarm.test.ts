import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runCli, tempDir } from './daemon-fixture.ts'

describe('meshtrain swarm with attackers', function () {
  this.timeout(240_000)
  let temp: Awaited<ReturnType<typeof tempDir>>
  beforeEach(async () => { temp = await tempDir() })
  afterEach(async () => { await temp.remove() })

  it('five daemons, one a sign-flip attacker: the default rule keeps the honest nodes learning, the report marks the attacker', async () => {
    const report = join(temp.path, 'report.json')
    const { code, stdout, stderr } = await runCli(['swarm', '--nodes', '5', '--byzantine', '1', '--attack', 'sign-flip', '--rounds', '4', '--report', report])
    assert.equal(code, 0, stderr)
    assert.match(stdout, /nodes 4 are attackers \(sign-flip\)/)
    const r = JSON.parse(await readFile(report, 'utf8')) as { attack: string, nodes: { byzantine: boolean, accuracy: number, rounds: number }[] }
    assert.equal(r.attack, 'sign-flip')
    assert.deepEqual(r.nodes.map(n => n.byzantine), [false, false, false, false, true])
    for (const node of r.nodes.filter(n => !n.byzantine)) {
      assert.equal(node.rounds, 4)
      assert.ok(node.accuracy > 0.6, `honest accuracy ${node.accuracy}`)
    }
  })

  it('an unknown attack exits 2 listing the attacks', async () => {
    const { code, stderr } = await runCli(['swarm', '--byzantine', '1', '--attack', 'nonsense'])
    assert.equal(code, 2)
    assert.match(stderr, /unknown attack "nonsense"; known: crash, stale, sign-flip/)
  })
})
