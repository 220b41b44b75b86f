import assert from 'node:assert/strict'
import { runCli } from './daemon-fixture.ts'

/** `meshtrain privacy` as a real process: the output operators and scripts read, and the exit status. */
describe('meshtrain privacy (real process)', function () {
  this.timeout(60_000)

  it('prints the dp-accounting 0.6.0 epsilon of issue 15 as JSON, finds its sigma back, and exits 2 naming a bad setting', async () => {
    const epsilon = await runCli(['privacy', 'epsilon', '--sampling-rate', '256/60000', '--noise-multiplier', '1.1', '--steps', '14062', '--delta', '1e-5', '--json'])
    assert.equal(epsilon.code, 0, epsilon.stderr)
    const parsed = JSON.parse(epsilon.stdout) as { epsilon: number, order: number }
    assert.deepEqual(Object.keys(parsed), ['epsilon', 'order'])
    assert.ok(Math.abs(parsed.epsilon - 2.596981179) <= 1e-6 * 2.596981179, epsilon.stdout)
    assert.equal(parsed.order, 8)

    const sigma = await runCli(['privacy', 'sigma', '--epsilon', String(parsed.epsilon), '--sampling-rate', '256/60000', '--steps', '14062', '--delta', '1e-5', '--json'])
    assert.equal(sigma.code, 0, sigma.stderr)
    const found = JSON.parse(sigma.stdout) as { noiseMultiplier: number, epsilon: number }
    assert.ok(Math.abs(found.noiseMultiplier - 1.1) <= 1e-9, sigma.stdout)
    assert.ok(found.epsilon <= parsed.epsilon)

    const bad = await runCli(['privacy', 'epsilon', '--sampling-rate', '0.01', '--noise-multiplier', '1', '--steps', '10', '--delta', '2'])
    assert.equal(bad.code, 2)
    assert.equal(bad.stdout, '')
    assert.match(bad.stderr, /^meshtrain: --delta: got "2", expected a number above 0 and below 1\n$/)
  })
})
