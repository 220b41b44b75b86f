/** One simulated network size and what a node spent per round there. */
export interface ScalePoint {
  readonly nodes: number
  readonly cpuMsPerNodePerRound: number
  readonly protocolCpuMsPerNodePerRound: number
  readonly bytesPerNodePerRound: number
}

const WIDTH = 760
const HEIGHT = 340
const PANEL = { width: 300, height: 220, top: 50, gap: 90, left: 70 }

/**
 * Two panels against the number of simulated peers (log scale): CPU per node per round (all, and
 * without local training) and KiB per node per round. Flat lines are the goal. Pure.
 */
export function scaleSvg (points: readonly ScalePoint[], title: string): string {
  const sorted = [...points].sort((a, b) => a.nodes - b.nodes)
  const xs = sorted.map(p => Math.log2(p.nodes))
  const xMin = Math.min(...xs)
  const xMax = Math.max(xMin + 1, ...xs)
  const f = (v: number): string => v.toFixed(1)
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${PANEL.left}" y="18" font-size="13">${escapeXml(title)}</text>`
  ]
  const panel = (index: number, label: string, series: ReadonlyArray<{ name: string, colour: string, values: number[] }>): void => {
    const left = PANEL.left + index * (PANEL.width + PANEL.gap)
    const top = PANEL.top
    const yMax = niceMax(Math.max(1e-9, ...series.flatMap(s => s.values)))
    const x = (v: number): number => left + ((v - xMin) / (xMax - xMin)) * PANEL.width
    const y = (v: number): number => top + (1 - v / yMax) * PANEL.height
    for (let tick = 0; tick <= 4; tick++) {
      const v = (yMax * tick) / 4
      parts.push(`<line x1="${left}" x2="${left + PANEL.width}" y1="${f(y(v))}" y2="${f(y(v))}" stroke="#e5e5e5"/>`,
        `<text x="${left - 6}" y="${f(y(v) + 4)}" text-anchor="end">${formatTick(v)}</text>`)
    }
    for (const p of sorted) parts.push(`<text x="${f(x(Math.log2(p.nodes)))}" y="${top + PANEL.height + 16}" text-anchor="middle">${p.nodes}</text>`)
    parts.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + PANEL.height}" stroke="#333"/>`,
      `<line x1="${left}" x2="${left + PANEL.width}" y1="${top + PANEL.height}" y2="${top + PANEL.height}" stroke="#333"/>`,
      `<text x="${left + PANEL.width / 2}" y="${top + PANEL.height + 34}" text-anchor="middle">simulated peers (log scale)</text>`,
      `<text x="${left}" y="${top - 10}">${escapeXml(label)}</text>`)
    series.forEach((s, i) => {
      const points = s.values.map((v, j) => `${f(x(xs[j] as number))},${f(y(v))}`).join(' ')
      parts.push(`<polyline fill="none" stroke="${s.colour}" stroke-width="2" points="${points}"/>`)
      for (const [j, v] of s.values.entries()) parts.push(`<circle cx="${f(x(xs[j] as number))}" cy="${f(y(v))}" r="3" fill="${s.colour}"/>`)
      parts.push(`<text x="${left + 8}" y="${top + 14 + i * 14}" fill="${s.colour}">${escapeXml(s.name)}</text>`)
    })
  }
  panel(0, 'CPU per node per round, ms', [
    { name: 'all (with local training)', colour: '#1f77b4', values: sorted.map(p => p.cpuMsPerNodePerRound) },
    { name: 'protocol (without training)', colour: '#ff7f0e', values: sorted.map(p => p.protocolCpuMsPerNodePerRound) }
  ])
  panel(1, 'bytes per node per round, KiB', [
    { name: 'announcements + models', colour: '#2ca02c', values: sorted.map(p => p.bytesPerNodePerRound / 1024) }
  ])
  parts.push('</svg>')
  return parts.join('\n') + '\n'
}

function niceMax (v: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(v))
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= v) return step * magnitude
  return 10 * magnitude
}

function formatTick (v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(0) : v.toFixed(1)
}

function escapeXml (text: string): string {
  return text.replace(/[<>&"]/g, c => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] as string)
}
