import { setImmediate } from 'node:timers/promises'

/**
 * The rooms a running node loads (libp2p, the API server, the round loop and the rest: about a
 * second, several on a busy machine), each after those it imports. Node runs no signal handler
 * while it loads a module graph, so `start` and `swarm` load them one at a time, with a turn of
 * the event loop between two: a SIGTERM meanwhile exits 0 (early-signals.ts) within one room's
 * load rather than the whole.
 */
const ROOMS = [
  async () => await import('../protocol/index.ts'),
  async () => await import('../aggregation/index.ts'),
  async () => await import('../privacy/index.ts'),
  async () => await import('../ledger/index.ts'),
  async () => await import('../model/index.ts'),
  async () => await import('../round/index.ts'),
  async () => await import('../network/index.ts'),
  async () => await import('../adversary/index.ts'),
  async () => await import('../api-endpoint/index.ts'),
  async () => await import('../api/index.ts'),
  async () => await import('../node/index.ts')
] as const

export async function loadRoomsOneAtATime (): Promise<void> {
  for (const load of ROOMS) {
    await load()
    await setImmediate()
  }
}
