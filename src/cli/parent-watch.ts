import { readFileSync } from 'node:fs'

/** How often the processes that started this one are checked, ms. */
export const PARENT_CHECK_INTERVAL_MS = 1000

/** Ancestors looked through for the npm or npx process that started this one. */
const MAX_LAUNCHER_DEPTH = 4

/** A process as /proc shows it: its parent and its start time (which tells a reused pid apart). */
interface ProcessStat { readonly ppid: number, readonly startTime: string, readonly command: string }

/** /proc/<pid>/stat and cmdline; undefined when the process is gone or there is no /proc (not Linux). */
function processStat (pid: number): ProcessStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name is in parentheses and may hold spaces: fields are counted after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
    return { ppid: Number(fields[1]), startTime: fields[19] ?? '', command }
  } catch {
    return undefined
  }
}

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * The processes whose end should end this one when it was started by `npm start`, `npm run` or
 * `npx` (npm sets `npm_command`): every ancestor up to the npm process, since npm runs scripts
 * through `sh -c`, which stays alive when npm is killed. Empty when not started by npm.
 */
export function launcherPids (env: NodeJS.ProcessEnv = process.env): number[] {
  if (env.npm_command === undefined && env.npm_lifecycle_event === undefined) return []
  const chain: number[] = []
  let pid = process.ppid
  for (let depth = 0; depth < MAX_LAUNCHER_DEPTH && pid > 1; depth++) {
    chain.push(pid)
    const stat = processStat(pid)
    if (stat === undefined || /\bnp[mx]\b|np[mx]-cli\.js/.test(stat.command)) return chain
    pid = stat.ppid
  }
  // No npm found among the ancestors: the direct parent alone.
  return chain.slice(0, 1)
}

/**
 * Call `onGone` once when any of `pids` has exited (or its pid now belongs to another process),
 * checking every {@link PARENT_CHECK_INTERVAL_MS}. A supervisor killed with SIGKILL cannot stop
 * what it started; this lets what it started stop itself. Returns the function that stops watching.
 */
export function watchProcesses (pids: readonly number[], onGone: (pid: number) => void): () => void {
  if (pids.length === 0) return () => {}
  const started = new Map(pids.map(pid => [pid, processStat(pid)?.startTime]))
  const gone = (pid: number): boolean => {
    if (!isAlive(pid)) return true
    const startTime = started.get(pid)
    return startTime !== undefined && processStat(pid)?.startTime !== startTime
  }
  const check = (): void => {
    const pid = pids.find(gone)
    if (pid === undefined) return
    clearInterval(timer)
    onGone(pid)
  }
  const timer = setInterval(check, PARENT_CHECK_INTERVAL_MS)
  // The watch alone must not keep the process alive.
  timer.unref()
  check()
  return () => clearInterval(timer)
}
