/**
 * Start `items` one after another with at most `atOnce` of them starting at a time: `start(item)`
 * resolves once that item is up (or has failed), and the next starts then. Daemons started all at
 * once on a small host load their modules together, and all miss their first deadlines; started a
 * core's worth at a time, each is up in about the time it takes alone.
 * @returns once every item has been started and is up (or failed); stops early when `signal` aborts.
 */
export async function startStaggered<T> (items: readonly T[], atOnce: number, start: (item: T) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0
  const lane = async (): Promise<void> => {
    while (next < items.length && signal?.aborted !== true) {
      const item = items[next++] as T
      await start(item)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(atOnce, items.length)) }, lane))
}
