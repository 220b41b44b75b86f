import assert from 'node:assert/strict'
import {
  PRIVACY_EPSILON_SETTINGS, PRIVACY_SIGMA_SETTINGS, decimalIn, formatEpsilon, formatSigma, parsePrivacyArgs, parseSamplingRate
} from '../../../src/cli/privacy-command.ts'
import { ConfigError } from '../../../src/errors/index.ts'

const refused = (setting: string, pattern: RegExp) => (err: unknown): boolean =>
  err instanceof ConfigError && err.setting === setting && err.exitStatus === 2 && pattern.test(err.message)

describe('meshtrain privacy: flags', () => {
  it('reads decimals and scientific notation, and refuses anything else', () => {
    const parse = decimalIn(0, 1, { minExclusive: true, maxExclusive: true })
    assert.equal(parse('1e-5'), 1e-5)
    assert.equal(parse('.25'), 0.25)
    assert.equal(parse('0.5'), 0.5)
    for (const bad of ['0', '1', '', 'abc', '0x1', 'Infinity', '1e-5x', '-0.1']) assert.throws(() => parse(bad), `${JSON.stringify(bad)}`)
    assert.equal(decimalIn(0, 1)('1'), 1)
  })

  it('reads a sampling rate as a decimal or as B/N', () => {
    assert.equal(parseSamplingRate('256/60000'), 256 / 60000)
    assert.equal(parseSamplingRate('0.01'), 0.01)
    assert.equal(parseSamplingRate('1'), 1)
    for (const bad of ['0', '0/10', '3/2', '1/0', '1.5']) assert.throws(() => parseSamplingRate(bad), bad)
  })

  it('parses privacy epsilon into numbers', () => {
    assert.deepEqual(parsePrivacyArgs(['--sampling-rate', '256/60000', '--noise-multiplier', '1.1', '--steps', '14062', '--delta', '1e-5'], PRIVACY_EPSILON_SETTINGS), {
      samplingRate: 256 / 60000, noiseMultiplier: 1.1, steps: 14062, delta: 1e-5, json: false
    })
    assert.equal(parsePrivacyArgs(['--help'], PRIVACY_EPSILON_SETTINGS), undefined)
  })

  it('parses privacy sigma into numbers, --json included', () => {
    assert.deepEqual(parsePrivacyArgs(['--epsilon=4', '--sampling-rate', '0.004', '--steps', '0', '--delta', '1e-6', '--json'], PRIVACY_SIGMA_SETTINGS), {
      epsilon: 4, samplingRate: 0.004, steps: 0, delta: 1e-6, json: true
    })
  })

  it('names a bad or missing setting (exit 2)', () => {
    const full = ['--sampling-rate', '0.01', '--noise-multiplier', '1', '--steps', '10', '--delta', '1e-5']
    const without = (flag: string): string[] => { const i = full.indexOf(flag); return [...full.slice(0, i), ...full.slice(i + 2)] }
    const replaced = (flag: string, value: string): string[] => full.map((t, i) => (full[i - 1] === flag ? value : t))
    assert.throws(() => parsePrivacyArgs(without('--delta'), PRIVACY_EPSILON_SETTINGS), refused('delta', /--delta is required/))
    assert.throws(() => parsePrivacyArgs(replaced('--delta', '1'), PRIVACY_EPSILON_SETTINGS), refused('delta', /--delta: got "1", expected a number above 0 and below 1/))
    assert.throws(() => parsePrivacyArgs(replaced('--sampling-rate', '1.5'), PRIVACY_EPSILON_SETTINGS), refused('samplingRate', /--sampling-rate: got "1.5"/))
    assert.throws(() => parsePrivacyArgs(replaced('--noise-multiplier', '0'), PRIVACY_EPSILON_SETTINGS), refused('noiseMultiplier', /--noise-multiplier: got "0", expected a number above 0/))
    assert.throws(() => parsePrivacyArgs(replaced('--steps', '2.5'), PRIVACY_EPSILON_SETTINGS), refused('steps', /--steps: got "2.5", expected a whole number/))
    assert.throws(() => parsePrivacyArgs([...full, '--epsilon', '1'], PRIVACY_EPSILON_SETTINGS), refused('--epsilon', /unknown option --epsilon/))
    assert.throws(() => parsePrivacyArgs(['--epsilon=-1', '--sampling-rate', '0.01', '--steps', '1', '--delta', '1e-5'], PRIVACY_SIGMA_SETTINGS), refused('epsilon', /--epsilon: got "-1"/))
  })

  it('prints epsilon and its order, as JSON with --json (null for an unbounded epsilon)', () => {
    const options = { samplingRate: 0.01, noiseMultiplier: 1, steps: 1000, delta: 1e-5, json: true }
    assert.equal(formatEpsilon({ epsilon: 2.5, order: 8 }, options), '{"epsilon":2.5,"order":8}')
    assert.equal(formatEpsilon({ epsilon: Infinity, order: 2 }, options), '{"epsilon":null,"order":2}')
    assert.match(formatEpsilon({ epsilon: 2.5, order: 8 }, { ...options, json: false }), /^epsilon 2\.5 at RDP order 8 \(delta 0\.00001; 1000 steps/)
    assert.equal(formatSigma(1.25, { epsilon: 3, order: 9 }, { epsilon: 3, samplingRate: 0.01, steps: 1, delta: 1e-5, json: true }), '{"noiseMultiplier":1.25,"epsilon":3,"order":9}')
  })
})
