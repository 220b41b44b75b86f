import type { AnyLedgerEntry, LedgerEntry } from './ledger-entry.ts'
import type { Verdict } from './entry-kinds.ts'
import { aggregateInputs, peerInputsOf } from './peer-table.ts'
import type { PeerInputView } from './peer-table.ts'
import type { PrivacyAccount } from './privacy-record.ts'

/**
 * The lineage of a model version in one node's log: which entry produced it (an aggregate, the
 * node's own training, or a peer's announcement), and recursively what went into that, down to
 * a model the log does not explain (the initial model) or the depth asked for.
 */
export type LineageNode =
  | { readonly model: string, readonly origin: 'aggregate', readonly entry: number, readonly round: number, readonly rule: string, readonly options: unknown, readonly inputs: readonly LineageNode[] }
  | {
    readonly model: string, readonly origin: 'training', readonly entry: number, readonly round: number, readonly data: string, readonly steps: number,
    readonly batchSize: number, readonly learningRate: number, readonly seed: number, readonly backend: string, readonly loss: number | null,
    /** The round's `privacy` entry (the training's DP parameters and the epsilon spent in all after it); null for a node without privacy. */
    readonly privacy: PrivacyAccount | null, readonly start: LineageNode
  }
  | {
    readonly model: string, readonly origin: 'peer', readonly entry: number, readonly input: number, readonly round: number, readonly peer: string,
    readonly verdict: Verdict, readonly used: boolean, readonly checkpointSize: number | null
  }
  | { readonly model: string, readonly origin: 'unknown' }
  | { readonly model: string, readonly origin: 'cut', readonly note: string }

/**
 * The lineage of `model` in `entries`.
 * @param depth how many aggregates deep to follow (each round back is one).
 */
export function modelLineage (entries: readonly AnyLedgerEntry[], model: string, depth = Number.MAX_SAFE_INTEGER): LineageNode {
  const aggregates = new Map<string, Array<LedgerEntry<'aggregate'>>>()
  const trainings = new Map<string, LedgerEntry<'training'>>()
  const peerInputs = new Map<string, PeerInputView>()
  /** Each `privacy` entry by the `training` entry it follows. */
  const privacyOf = new Map<number, PrivacyAccount>()
  // A model trained twice (a round redone after a crash) is explained by the later record.
  for (const e of entries) {
    if (e.kind === 'aggregate' && e.body.output !== null) aggregates.set(e.body.output, [...(aggregates.get(e.body.output) ?? []), e])
    else if (e.kind === 'training') trainings.set(e.body.model, e)
    else if (e.kind === 'privacy') {
      const { round: _, ...account } = e.body
      privacyOf.set(e.seq - 1, account)
    }
  }
  // A peer input is found by the hash the rule took: the model's own, or its float32 form.
  for (const input of peerInputsOf(entries)) peerInputs.set(`${input.round}/${input.taken ?? input.model}`, input)
  /**
   * `before`: only an aggregate of an earlier round can have produced an input of this round (an
   * aggregate's output may equal one of its inputs). `inputRound`: the round whose peer inputs to look in.
   */
  const visit = (hash: string, before: number, inputRound: number | undefined, left: number): LineageNode => {
    const aggregate = (aggregates.get(hash) ?? []).findLast(a => a.body.round < before)
    if (aggregate !== undefined) {
      if (left <= 0) return { model: hash, origin: 'cut', note: `aggregate of round ${aggregate.body.round} (entry ${aggregate.seq}); raise --depth to follow it` }
      const { body } = aggregate
      return {
        model: hash, origin: 'aggregate', entry: aggregate.seq, round: body.round, rule: body.rule, options: body.options,
        inputs: aggregateInputs(body).map(input => visit(input, body.round, body.round, left - 1))
      }
    }
    const training = trainings.get(hash)
    if (training !== undefined && training.body.round < before + 1) {
      const { body } = training
      return {
        model: hash, origin: 'training', entry: training.seq, round: body.round, data: body.data, steps: body.steps, batchSize: body.batchSize,
        learningRate: body.learningRate, seed: body.seed, backend: body.backend, loss: body.loss, privacy: privacyOf.get(training.seq) ?? null,
        start: visit(body.startModel, body.round, undefined, left)
      }
    }
    const peerInput = inputRound === undefined ? [...peerInputs.values()].findLast(e => (e.taken ?? e.model) === hash) : peerInputs.get(`${inputRound}/${hash}`)
    if (peerInput !== undefined) {
      const { seq, index, round, peer, verdict, used, checkpoint } = peerInput
      return { model: hash, origin: 'peer', entry: seq, input: index, round, peer, verdict, used, checkpointSize: checkpoint === null ? null : checkpoint.size }
    }
    return { model: hash, origin: 'unknown' }
  }
  return visit(model, Number.MAX_SAFE_INTEGER, undefined, depth)
}

const short = (hash: string): string => hash.slice(0, 12)

/** `; dp-sgd: noise multiplier 1.1, clip norm 1, sampling rate 0.01, epsilon 2.5 spent in all after 80 steps (delta 0.00001)`, or nothing without privacy. */
function privacyText (p: PrivacyAccount | null): string {
  if (p === null) return ''
  return `; ${p.mechanism}: noise multiplier ${p.noiseMultiplier}, clip norm ${p.clipNorm}, sampling rate ${p.samplingRate}, epsilon ${p.epsilon} spent in all after ${p.stepsSpent} steps (delta ${p.delta})`
}

/** A lineage as an indented tree, one line per model; a model reached a second time is printed once, then referred to. */
export function formatLineage (root: LineageNode): string[] {
  const seen = new Set<string>()
  const lines = (node: LineageNode, indent: string): string[] => {
    const line = (text: string): string => `${indent}${short(node.model)} ${text}`
    const key = `${node.origin}/${node.model}`
    if (node.origin !== 'peer' && node.origin !== 'unknown' && seen.has(key)) return [line('(as above)')]
    seen.add(key)
    switch (node.origin) {
      case 'aggregate':
        return [line(`aggregate of round ${node.round} (entry ${node.entry}): ${node.rule} ${JSON.stringify(node.options)} over ${node.inputs.length} inputs`), ...node.inputs.flatMap(i => lines(i, indent + '  '))]
      case 'training':
        return [
          line(`trained by this node in round ${node.round} (entry ${node.entry}): data ${short(node.data)}, ${node.steps} steps of ${node.batchSize}, learning rate ${node.learningRate}, seed ${node.seed}, ${node.backend}, loss ${node.loss ?? 'not finite'}${privacyText(node.privacy)}`),
          ...lines(node.start, indent + '  ')
        ]
      case 'peer':
        return [line(`from ${node.peer} in round ${node.round} (entry ${node.entry}, input ${node.input}): ${node.verdict}${node.used ? ', used' : ', not used'}${node.checkpointSize === null ? '' : `, its log at ${node.checkpointSize} entries`}`)]
      case 'unknown':
        return [line('not produced in this log (the initial model, or one it never recorded)')]
      case 'cut':
        return [line(node.note)]
    }
  }
  return lines(root, '')
}
