import type { RoundClock } from '../../src/round/index.ts'

/**
 * The scale simulation's round clock: the process's CPU time (all its threads) over the machine's
 * cores, from the wall time it was made at. It is the wall time the run would have taken with the
 * cores to itself, and it stands still while other processes hold them. On the shared 2-core
 * machine (load average 10 to 45 from other work) the wall clock ran a 256-peer simulation's
 * rounds past an eighth of their deadline, so its peers repeated their announcements (2.37
 * publications per peer and round): what the figures then measured was the machine's load.
 * Process CPU time never runs faster than the cores allow, so a wall timer of the time left
 * never fires early; it is set again for what is left when the process had less than the cores.
 */
export class SimulationClock implements RoundClock {
  readonly #cores: number
  readonly #startCpu: NodeJS.CpuUsage
  readonly #startMs: number

  constructor (cores: number) {
    if (!Number.isInteger(cores) || cores < 1) throw new RangeError(`cores is ${cores}; a positive integer is allowed`)
    this.#cores = cores
    this.#startCpu = process.cpuUsage()
    this.#startMs = Date.now()
  }

  now (): number {
    const used = process.cpuUsage(this.#startCpu)
    return this.#startMs + (used.user + used.system) / 1000 / this.#cores
  }

  after (ms: number, callback: () => void): () => void {
    const due = this.now() + ms
    const check = (): void => {
      const left = due - this.now()
      if (left <= 0) callback()
      else timer = setTimeout(check, left)
    }
    let timer = setTimeout(check, Math.max(0, ms))
    return () => { clearTimeout(timer) }
  }
}
