import type { PeerInputRecord, Verdict, CheckpointReference } from './entry-kinds.ts'
import type { AnyLedgerEntry, LedgerEntry } from './ledger-entry.ts'

/**
 * The log's peer table and what reads through it. A `peer` entry lists a peer id once; later
 * entries (`aggregate` inputs, `evidence`) name the peer by its index in that list, so a peer id
 * is written once per log instead of once per round.
 */

/** The peer ids of the log's `peer` entries, in log order. */
export function peerTable (entries: readonly AnyLedgerEntry[]): string[] {
  return entries.flatMap(e => (e.kind === 'peer' ? [e.body.peer] : []))
}

/**
 * What is wrong with an entry's references to the peer table, given the peers listed before it:
 * a `peer` entry for a peer already listed, or an index past the table.
 */
export function peerReferenceFailure (entry: AnyLedgerEntry, listed: ReadonlySet<string>): string | undefined {
  const size = listed.size
  const names = (i: number): string | undefined => (i < size ? undefined : `names peer ${i}, the peer table has ${size} peers before it`)
  switch (entry.kind) {
    case 'peer':
      return listed.has(entry.body.peer) ? `lists peer ${entry.body.peer} a second time` : undefined
    case 'aggregate':
      for (const [i, input] of entry.body.inputs.entries()) {
        const failure = names(input.peer)
        if (failure !== undefined) return `input ${i} ${failure}`
      }
      return undefined
    case 'evidence':
      return names(entry.body.peer)
    default:
      return undefined
  }
}

/** One peer input of the log, with its peer's id, the aggregate entry that records it and its place there. */
export interface PeerInputView {
  /** The `aggregate` entry. */
  readonly seq: number
  /** The input's place in the entry's `inputs`. */
  readonly index: number
  readonly round: number
  readonly peer: string
  readonly signature: string
  readonly model: string
  readonly taken: string | null
  readonly checkpoint: CheckpointReference | null
  readonly verdict: Verdict
  readonly used: boolean
  readonly distance: number | null
  readonly cosine: number | null
}

/** Every peer input of the log, in log order, its peer named by id (the log's references are assumed checked: an unknown index reads as `?`). */
export function peerInputsOf (entries: readonly AnyLedgerEntry[]): PeerInputView[] {
  const peers: string[] = []
  const out: PeerInputView[] = []
  for (const e of entries) {
    if (e.kind === 'peer') peers.push(e.body.peer)
    if (e.kind !== 'aggregate') continue
    for (const [index, input] of e.body.inputs.entries()) out.push(view(e, index, input, peers[input.peer] ?? '?'))
  }
  return out
}

function view (e: LedgerEntry<'aggregate'>, index: number, input: PeerInputRecord, peer: string): PeerInputView {
  return { ...input, seq: e.seq, index, round: e.body.round, peer }
}

/** The hashes of the models an aggregate's rule took, in its order: the own model (when there is one), then the used peer inputs' (`taken`, else `model`). */
export function aggregateInputs (body: LedgerEntry<'aggregate'>['body']): string[] {
  return [...(body.own === null ? [] : [body.own]), ...body.inputs.flatMap(i => (i.used ? [i.taken ?? i.model] : []))]
}
