import assert from 'node:assert/strict'
import { accuracySvg, plotPathFor } from '../../../src/cli/swarm-plot.ts'

describe('the swarm report\'s accuracy plot', () => {
  const nodes = [
    { index: 0, byzantine: false, history: [{ round: 0, accuracy: 0.5 }, { round: 1, accuracy: 0.75 }, { round: 2, accuracy: 1 }] },
    { index: 1, byzantine: true, history: [{ round: 0, accuracy: 0 }, { round: 2, accuracy: Number.NaN }] }
  ]
  const svg = accuracySvg(nodes, 'swarm <3 nodes>')

  it('draws one line per node, at the right places, the attacker dashed in red', () => {
    const lines = [...svg.matchAll(/<polyline fill="none" stroke="([^"]+)" stroke-width="1\.5"( stroke-dasharray="6 4")? points="([^"]*)">/g)]
    assert.equal(lines.length, 2)
    // Plot area: x from 56 to 570 over rounds 0..2; y from 24 (accuracy 1) to 356 (accuracy 0).
    assert.equal(lines[0]?.[3], '56.0,190.0 313.0,107.0 570.0,24.0')
    assert.equal(lines[0]?.[2], undefined)
    assert.equal(lines[1]?.[1], '#d62728')
    assert.equal(lines[1]?.[3], '56.0,356.0', 'a non-finite accuracy is left out')
    assert.ok(lines[1]?.[2] !== undefined)
    assert.match(svg, /<text [^>]*>node 1 \(attacker\)<\/text>/)
  })

  it('is a well-formed SVG document with its title escaped', () => {
    assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'))
    assert.ok(svg.trimEnd().endsWith('</svg>'))
    assert.match(svg, /<title>swarm &lt;3 nodes&gt;<\/title>/)
    const opened = [...svg.matchAll(/<(svg|title|text|polyline)\b/g)].length
    const closed = [...svg.matchAll(/<\/(svg|title|text|polyline)>/g)].length
    assert.equal(opened, closed)
  })

  it('sits beside the report', () => {
    assert.equal(plotPathFor('out/r.json'), 'out/r.svg')
    assert.equal(plotPathFor('report'), 'report.svg')
  })
})
