/**
 * One real swarm on 127.0.0.1 (`meshtrain swarm --nodes N --rounds R`, daemons started as the
 * swarm starts them) and what it achieved and held: each daemon's peak resident memory (VmHWM
 * of /proc/<pid>/status, read every RSS_SAMPLE_MS while it runs: the kernel's own peak, so a
 * short spike between two reads is still counted, only growth in a daemon's last
 * RSS_SAMPLE_MS is not), rounds per minute, the share of node-rounds at the quorum and the honest
 * nodes' test accuracy. Used by `npm run bench:memory` and `npm run bench:scale`. Linux only.
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** How often each daemon's VmHWM is read, ms. */
export const RSS_SAMPLE_MS = 100

/** The target for a daemon of the default MNIST model: peak RSS below this, MiB. */
export const RSS_TARGET_MIB = 150

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface RealSwarmRow {
  readonly nodes: number
  readonly rounds: number
  readonly roundsPerMinute: number | null
  readonly wallSeconds: number
  /** Node-rounds that aggregated at least the quorum (min(N-1, fanout) peer models), of all node-rounds reported. */
  readonly quorumShare: number
  /** Node-rounds that aggregated at all (the rule's minimum inputs met; not the node's own model kept), of all node-rounds reported. */
  readonly aggregatedShare: number
  /** The host's 1-minute load average, least and most seen while the swarm ran. */
  readonly loadAverage: readonly [number, number]
  readonly honestAccuracyMin: number
  /** Peak RSS (VmHWM) of every daemon process, MiB, by node index (the swarm's node-INDEX data directory). */
  readonly rssMiB: readonly number[]
  readonly rssMiBMedian: number
  readonly rssMiBMax: number
  readonly exitCode: number | null
  /** The swarm's last lines of output when it failed (exit code other than 0). */
  readonly failure?: string
}

interface SwarmReport {
  readonly wallSeconds: number
  readonly nodes: ReadonlyArray<{ readonly byzantine: boolean, readonly accuracy: number, readonly history: ReadonlyArray<{ readonly used: number }> }>
}

/** Run `meshtrain swarm --nodes nodes --rounds rounds` to its end and measure it. */
export async function runRealSwarm (nodes: number, rounds: number, fanout: number): Promise<RealSwarmRow> {
  const dir = await mkdtemp(join(tmpdir(), 'meshtrain-bench-swarm-'))
  const report = join(dir, 'report.json')
  const peaks = new Map<number, number>()
  const roundTimes: number[] = []
  const loads: [number, number] = [Infinity, -Infinity]
  try {
    const out = await runProcess(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'swarm', '--nodes', String(nodes), '--rounds', String(rounds), '--report', report], child => {
      const timer = setInterval(() => {
        void sampleChildren(child.pid as number, peaks)
        const load = loadavg()[0] as number
        loads[0] = Math.min(loads[0], load)
        loads[1] = Math.max(loads[1], load)
      }, RSS_SAMPLE_MS)
      child.on('exit', () => clearInterval(timer))
      child.stdout?.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString('utf8').split('\n')) if (/^round \d+\/\d+ /.test(line)) roundTimes.push(Date.now())
      })
    })
    // No report when the swarm was stopped before its end (it then exits 0 too).
    const parsed = out.code === 0 ? await readFile(report, 'utf8').then(text => JSON.parse(text) as SwarmReport, () => undefined) : undefined
    const quorum = Math.min(nodes - 1, fanout)
    const history = parsed?.nodes.filter(n => !n.byzantine).flatMap(n => n.history) ?? []
    const rss = [...peaks.values()].sort((a, b) => a - b)
    const byNode = [...peaks.entries()].sort(([a], [b]) => a - b).map(([, peak]) => peak)
    return {
      nodes,
      rounds,
      roundsPerMinute: roundTimes.length >= 2 ? ((roundTimes.length - 1) / ((roundTimes.at(-1) as number) - (roundTimes[0] as number))) * 60_000 : null,
      wallSeconds: parsed?.wallSeconds ?? NaN,
      quorumShare: history.length === 0 ? 0 : history.filter(h => h.used >= quorum).length / history.length,
      aggregatedShare: history.length === 0 ? 0 : history.filter(h => h.used > 0).length / history.length,
      loadAverage: loads,
      honestAccuracyMin: Math.min(...(parsed?.nodes.filter(n => !n.byzantine).map(n => n.accuracy) ?? [0])),
      rssMiB: byNode,
      rssMiBMedian: rss[Math.floor(rss.length / 2)] ?? NaN,
      rssMiBMax: rss.at(-1) ?? NaN,
      exitCode: out.code,
      ...(out.code === 0 ? {} : { failure: `${out.stdout}\n${out.stderr}`.trim().split('\n').filter(line => !/^round \d+\//.test(line)).slice(-4).join(' | ') })
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Record the peak RSS (VmHWM) of every child of `parent` (the swarm's daemons), MiB, by node index. */
async function sampleChildren (parent: number, peaks: Map<number, number>): Promise<void> {
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8')
      if (Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]) !== parent) continue
      const hwm = Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1]) / 1024
      const node = Number(/\/node-(\d+)\0/.exec(readFileSync(`/proc/${entry}/cmdline`, 'utf8'))?.[1])
      if (Number.isFinite(hwm) && Number.isInteger(node)) peaks.set(node, Math.max(peaks.get(node) ?? 0, hwm))
    } catch {
      // gone between the listing and the read
    }
  }
}

/** Run a command to its end; `watch` sees the child as it starts. Keeps the last 50-100 kB of stderr. */
export function runProcess (command: string, args: string[], watch: (child: ReturnType<typeof spawn>) => void): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise(resolve => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString('utf8') })
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString('utf8'); if (stderr.length > 100_000) stderr = stderr.slice(-50_000) })
    watch(child)
    child.on('exit', code => resolve({ code, stdout, stderr }))
  })
}
