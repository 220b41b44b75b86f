import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parsePeerAlignmentState } from '../round/index.ts'
import type { Logger, PeerAlignmentState } from '../round/index.ts'
import { writeFileAtomically } from './atomic-file.ts'

/** `<data-dir>/peer-alignment.json`: what the peer-alignment memory remembers, kept across restarts. */
export const PEER_ALIGNMENT_FILE = 'peer-alignment.json'

/**
 * The memory a node saved before it stopped; empty when there is none. A file that cannot be read
 * back is a warning, not a reason to stop: the memory starts again, every peer in its warm-up.
 */
export async function loadPeerAlignmentState (dataDir: string, log: Logger): Promise<PeerAlignmentState> {
  const path = join(dataDir, PEER_ALIGNMENT_FILE)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    log.warn(`${path}: ${(err as Error).message}; the peer-alignment memory starts empty`)
    return {}
  }
  try {
    return parsePeerAlignmentState(JSON.parse(text))
  } catch (err) {
    log.warn(`${path}: ${(err as Error).message}; the peer-alignment memory starts empty`)
    return {}
  }
}

/**
 * Replace the saved memory atomically; a write that fails (a full disk) is a warning: the file keeps
 * the last good state and the next round tries again.
 */
export async function savePeerAlignmentState (dataDir: string, state: PeerAlignmentState, log: Logger): Promise<void> {
  const path = join(dataDir, PEER_ALIGNMENT_FILE)
  try {
    await writeFileAtomically(path, JSON.stringify(state) + '\n')
  } catch (err) {
    log.warn(`cannot write ${path}: ${(err as Error).message}; keeping the last saved peer-alignment memory, the next round tries again`)
  }
}
