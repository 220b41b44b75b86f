import { ConfigError } from '../errors/index.ts'
import { boolean, flagName, integerIn, resolveSettings, settingsHelp } from '../node/index.ts'
import type { Setting, SettingsOf, SettingsTable } from '../node/index.ts'
import { computeEpsilon, smallestNoiseMultiplier } from '../privacy/index.ts'
import type { EpsilonAtOrder } from '../privacy/index.ts'
import { parseCommandLine } from './args.ts'

/**
 * `meshtrain privacy epsilon|sigma`: plan a differential-privacy budget before a network starts,
 * with the accountant the nodes use (src/privacy: RDP of the Poisson-subsampled Gaussian
 * mechanism, Mironov, Talwar and Zhang 2019, converted as Google's dp-accounting does).
 */

/** A decimal number (`0.01`, `1e-5`, `.5`) in a range; infinities, hex and empty text are refused. */
export function decimalIn (min: number, max: number, bounds: { minExclusive?: boolean, maxExclusive?: boolean } = {}): (raw: string) => number {
  return raw => {
    const value = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(raw) ? Number(raw) : NaN
    const aboveMin = bounds.minExclusive === true ? value > min : value >= min
    const belowMax = bounds.maxExclusive === true ? value < max : value <= max
    if (!(Number.isFinite(value) && aboveMin && belowMax)) throw new Error('')
    return value
  }
}

const number = (arg: string, allowed: string, help: string, parse: (raw: string) => number) =>
  ({ kind: 'string', default: undefined as number | undefined, defaultText: 'required', arg, allowed, help, parse, persistent: false }) as const

/** A sampling rate as a decimal in (0, 1] or as the fraction B/N (expected batch size over records), e.g. `256/60000`. */
export function parseSamplingRate (raw: string): number {
  const fraction = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(raw)
  const value = fraction === null ? decimalIn(0, 1, { minExclusive: true })(raw) : Number(fraction[1]) / Number(fraction[2])
  if (!(value > 0 && value <= 1)) throw new Error('')
  return value
}

const SAMPLING_RATE = number('Q', 'a number above 0 and at most 1, or B/N', 'q, the probability that a record is in a step\'s batch (Poisson sampling): expected batch size B over records N', parseSamplingRate)
const STEPS = { kind: 'integer', default: undefined as number | undefined, defaultText: 'required', arg: 'T', allowed: `a whole number from 0 to ${Number.MAX_SAFE_INTEGER}`, help: 'training steps, each one sampled batch', parse: integerIn(0, Number.MAX_SAFE_INTEGER), persistent: false } as const
const DELTA = number('D', 'a number above 0 and below 1', 'delta of the (epsilon, delta) guarantee; below 1 / records', decimalIn(0, 1, { minExclusive: true, maxExclusive: true }))
const JSON_OUTPUT = { kind: 'boolean', default: false as boolean, defaultText: 'off', allowed: 'on or off', help: 'print one JSON object instead of a sentence', parse: boolean, persistent: false } as const

/** The settings of `meshtrain privacy epsilon` (flags only). */
export const PRIVACY_EPSILON_SETTINGS = {
  samplingRate: SAMPLING_RATE,
  noiseMultiplier: number('S', 'a number above 0', 'sigma, the noise\'s standard deviation over the clipping norm', decimalIn(0, Number.MAX_VALUE, { minExclusive: true })),
  steps: STEPS,
  delta: DELTA,
  json: JSON_OUTPUT
} as const satisfies Record<string, Setting<unknown>>

/** The settings of `meshtrain privacy sigma` (flags only). */
export const PRIVACY_SIGMA_SETTINGS = {
  epsilon: number('E', 'a number above 0', 'the epsilon budget of all the steps', decimalIn(0, Number.MAX_VALUE, { minExclusive: true })),
  samplingRate: SAMPLING_RATE,
  steps: STEPS,
  delta: DELTA,
  json: JSON_OUTPUT
} as const satisfies Record<string, Setting<unknown>>

/** Every required setting of a privacy subcommand, given and parsed. */
export type PrivacyOptions<T extends SettingsTable> = { readonly [K in keyof SettingsOf<T>]-?: Exclude<SettingsOf<T>[K], undefined> }

const USAGE = `usage: meshtrain privacy <epsilon|sigma> [options]

Plans a differential-privacy budget with the accountant the nodes use: Rényi DP of the
Poisson-subsampled Gaussian mechanism (Mironov, Talwar and Zhang 2019) at orders 2..64, 128, 256,
512, 1024, composed over the steps, converted to (epsilon, delta) as Google's dp-accounting does.

  epsilon   the epsilon that T steps at sampling rate Q and noise multiplier S spend, and the
            order that gave it (see meshtrain privacy epsilon --help)
  sigma     the smallest noise multiplier that keeps T steps at sampling rate Q within epsilon E
            (see meshtrain privacy sigma --help)
`

/**
 * Parse the flags of `privacy epsilon` or `privacy sigma` into typed values.
 * @returns undefined when --help was asked for
 * @throws ConfigError naming a bad or missing setting (exit 2)
 */
export function parsePrivacyArgs<T extends SettingsTable> (argv: readonly string[], table: T): PrivacyOptions<T> | undefined {
  const { flags, help } = parseCommandLine(argv, table)
  if (help) return undefined
  const settings = resolveSettings(table, { flags })
  for (const [name, value] of Object.entries(settings)) {
    if (value === undefined) throw new ConfigError(name, `${flagName(name)} is required; see meshtrain privacy --help`)
  }
  return settings as PrivacyOptions<T>
}

/** epsilon as JSON: a number, or null when no order bounds it. */
const jsonNumber = (x: number): number | null => (Number.isFinite(x) ? x : null)

/** The output of `privacy epsilon`: one sentence, or `{"epsilon":..,"order":..}` with --json. */
export function formatEpsilon (result: EpsilonAtOrder, options: PrivacyOptions<typeof PRIVACY_EPSILON_SETTINGS>): string {
  if (options.json) return JSON.stringify({ epsilon: jsonNumber(result.epsilon), order: result.order })
  return `epsilon ${result.epsilon} at RDP order ${result.order} (delta ${options.delta}; ${options.steps} steps, sampling rate ${options.samplingRate}, noise multiplier ${options.noiseMultiplier})`
}

/** The output of `privacy sigma`: one sentence, or `{"noiseMultiplier":..,"epsilon":..,"order":..}` with --json. */
export function formatSigma (noiseMultiplier: number, result: EpsilonAtOrder, options: PrivacyOptions<typeof PRIVACY_SIGMA_SETTINGS>): string {
  if (options.json) return JSON.stringify({ noiseMultiplier, epsilon: jsonNumber(result.epsilon), order: result.order })
  return `noise multiplier ${noiseMultiplier}: epsilon ${result.epsilon} at RDP order ${result.order} of a budget of ${options.epsilon} (delta ${options.delta}; ${options.steps} steps, sampling rate ${options.samplingRate})`
}

/** `meshtrain privacy epsilon|sigma`. */
export async function privacyCommand (argv: string[]): Promise<void> {
  const [sub, ...rest] = argv
  if (sub === undefined || ['help', '--help', '-h'].includes(sub)) return void process.stdout.write(USAGE)
  if (sub === 'epsilon') {
    const options = parsePrivacyArgs(rest, PRIVACY_EPSILON_SETTINGS)
    if (options === undefined) return void process.stdout.write(`usage: meshtrain privacy epsilon --sampling-rate Q --noise-multiplier S --steps T --delta D [--json]\n\n${settingsHelp(PRIVACY_EPSILON_SETTINGS)}\n`)
    return void process.stdout.write(formatEpsilon(computeEpsilon(options, options.delta), options) + '\n')
  }
  if (sub === 'sigma') {
    const options = parsePrivacyArgs(rest, PRIVACY_SIGMA_SETTINGS)
    if (options === undefined) return void process.stdout.write(`usage: meshtrain privacy sigma --epsilon E --sampling-rate Q --steps T --delta D [--json]\n\n${settingsHelp(PRIVACY_SIGMA_SETTINGS)}\n`)
    const sigma = smallestNoiseMultiplier(options.epsilon, options.samplingRate, options.steps, options.delta)
    const result = computeEpsilon({ samplingRate: options.samplingRate, noiseMultiplier: sigma, steps: options.steps }, options.delta)
    return void process.stdout.write(formatSigma(sigma, result, options) + '\n')
  }
  throw new ConfigError('command', `unknown privacy command ${JSON.stringify(sub)}; privacy commands: epsilon, sigma`)
}
