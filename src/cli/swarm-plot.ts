/** One node's accuracy per round, as the swarm report holds it. */
export interface PlottedNode {
  readonly index: number
  readonly byzantine: boolean
  readonly history: ReadonlyArray<{ readonly round: number, readonly accuracy: number }>
}

const WIDTH = 720
const HEIGHT = 400
const MARGIN = { left: 56, right: 150, top: 24, bottom: 44 }
const COLOURS = ['#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f', '#ff7f0e', '#393b79']

/**
 * An SVG plot of held-out accuracy (0 to 1) per round, one line per node, attackers dashed in red,
 * with axes and a legend. Pure; the swarm writes it beside its report.
 */
export function accuracySvg (nodes: readonly PlottedNode[], title: string): string {
  const lastRound = Math.max(1, ...nodes.flatMap(n => n.history.map(h => h.round)))
  const plotW = WIDTH - MARGIN.left - MARGIN.right
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom
  const x = (round: number): number => MARGIN.left + (round / lastRound) * plotW
  const y = (accuracy: number): number => MARGIN.top + (1 - Math.min(1, Math.max(0, accuracy))) * plotH
  const f = (v: number): string => v.toFixed(1)
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="16" font-size="13">${escapeXml(title)}</text>`
  ]
  for (let tick = 0; tick <= 10; tick += 2) {
    const v = tick / 10
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${f(y(v))}" y2="${f(y(v))}" stroke="#e5e5e5"/>`,
      `<text x="${MARGIN.left - 8}" y="${f(y(v) + 4)}" text-anchor="end">${v.toFixed(1)}</text>`)
  }
  const step = Math.max(1, Math.ceil(lastRound / 10))
  for (let round = 0; round <= lastRound; round += step) {
    parts.push(`<text x="${f(x(round))}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${round}</text>`)
  }
  parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#333"/>`,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH}" stroke="#333"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 8}" text-anchor="middle">round</text>`,
    `<text transform="translate(14 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">held-out accuracy</text>`)
  for (const [i, node] of nodes.entries()) {
    const colour = node.byzantine ? '#d62728' : COLOURS[node.index % COLOURS.length] as string
    const dash = node.byzantine ? ' stroke-dasharray="6 4"' : ''
    const points = node.history.filter(h => Number.isFinite(h.accuracy)).map(h => `${f(x(h.round))},${f(y(h.accuracy))}`).join(' ')
    const label = `node ${node.index}${node.byzantine ? ' (attacker)' : ''}`
    parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="1.5"${dash} points="${points}"><title>${label}</title></polyline>`)
    const ly = MARGIN.top + 8 + i * 16
    if (ly < MARGIN.top + plotH) {
      parts.push(`<line x1="${WIDTH - MARGIN.right + 12}" x2="${WIDTH - MARGIN.right + 36}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="2"${dash}/>`,
        `<text x="${WIDTH - MARGIN.right + 42}" y="${ly + 4}">${label}</text>`)
    }
  }
  parts.push('</svg>')
  return parts.join('\n') + '\n'
}

/** `r.json` -> `r.svg`; any other name gets `.svg` appended. */
export function plotPathFor (reportPath: string): string {
  return reportPath.endsWith('.json') ? reportPath.slice(0, -'.json'.length) + '.svg' : reportPath + '.svg'
}

function escapeXml (text: string): string {
  return text.replace(/[<>&"]/g, c => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] as string)
}
