/* global document, window, fetch, EventSource, uPlot */
// The swarm's dashboard: every node's rounds (from the swarm process, same origin) on the same
// uPlot charts, attackers dashed in red. Nothing comes from the internet.
'use strict'

const PALETTE = ['#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f', '#ff7f0e', '#393b79']
const METRICS = { 'chart-accuracy': 'accuracy', 'chart-loss': 'loss', 'chart-used': 'used', 'chart-refused': 'refused' }
const charts = {}
let nodes = []
let total = 0
const $ = (id) => document.getElementById(id)
const fixed = (x, digits) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits))

function seriesOf (node) {
  return node.byzantine
    ? { label: `node ${node.index} (attacker)`, stroke: '#d62728', dash: [6, 4], width: 2 }
    : { label: `node ${node.index}`, stroke: PALETTE[node.index % PALETTE.length], width: 2 }
}

function build () {
  for (const [id, metric] of Object.entries(METRICS)) {
    const el = $(id)
    el.replaceChildren()
    charts[id] = new uPlot({
      width: Math.max(300, el.clientWidth),
      height: 260,
      scales: { x: { time: false }, y: metric === 'accuracy' ? { range: [0, 1] } : metric === 'loss' ? {} : { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [{ label: 'round', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] }, {}],
      series: [{ label: 'round' }, ...nodes.map(seriesOf)]
    }, [[]], el)
  }
}

function draw () {
  const last = Math.max(-1, ...nodes.flatMap((n) => n.rounds.map((r) => r.round)))
  const x = Array.from({ length: last + 1 }, (_, i) => i)
  for (const [id, metric] of Object.entries(METRICS)) {
    const columns = nodes.map((n) => {
      const byRound = new Map(n.rounds.map((r) => [r.round, r[metric]]))
      return x.map((round) => (byRound.has(round) && Number.isFinite(byRound.get(round)) ? byRound.get(round) : null))
    })
    charts[id].setData([x, ...columns])
  }
  const latest = nodes.map((n) => n.rounds[n.rounds.length - 1]).filter((r) => r !== undefined)
  const low = latest.length === nodes.length ? Math.min(...latest.map((r) => r.round)) : -1
  $('round').textContent = low < 0 ? '–' : String(low)
  $('total').textContent = String(total)
  const honest = nodes.filter((n) => !n.byzantine).map((n) => n.rounds[n.rounds.length - 1]).filter((r) => r !== undefined).map((r) => r.accuracy)
  $('min-accuracy').textContent = honest.length === 0 ? '–' : fixed(Math.min(...honest), 4)
  $('mean-accuracy').textContent = honest.length === 0 ? '–' : fixed(honest.reduce((a, b) => a + b, 0) / honest.length, 4)
  const body = $('nodes-table').tBodies[0]
  body.replaceChildren(...nodes.map((n) => {
    const r = n.rounds[n.rounds.length - 1]
    const row = document.createElement('tr')
    if (n.byzantine) row.className = 'bad'
    const cells = [String(n.index), n.peerId.slice(0, 8) + '…' + n.peerId.slice(-6), n.byzantine ? 'attacker' : 'honest',
      r ? String(r.round) : '–', r ? fixed(r.accuracy, 4) : '–', r ? fixed(r.loss, 4) : '–', r ? String(r.used) : '–', r ? String(r.refused) : '–']
    for (const text of cells) {
      const td = document.createElement('td')
      td.textContent = text
      row.append(td)
    }
    const link = document.createElement('td')
    if (n.api) {
      const a = document.createElement('a')
      a.href = n.api + '/'
      a.textContent = n.api.replace('http://', '')
      link.append(a)
    } else {
      link.textContent = '–'
    }
    row.append(link)
    row.title = n.peerId
    return row
  }))
}

async function load () {
  const res = await fetch('/api/v1/swarm', { cache: 'no-store' })
  if (!res.ok) throw new Error(`/api/v1/swarm: ${res.status}`)
  const swarm = await res.json()
  total = swarm.rounds
  const rebuild = swarm.nodes.length !== nodes.length
  nodes = swarm.nodes
  $('summary').textContent = `${nodes.length} nodes, ${nodes.filter((n) => n.byzantine).length} attackers`
  if (rebuild) build()
  draw()
}

function report (err) {
  $('live').textContent = `error: ${err.message}`
  $('live').className = 'badge bad'
}

async function main () {
  await load()
  const events = new EventSource('/api/v1/events')
  events.addEventListener('open', () => { $('live').textContent = 'live'; $('live').className = 'badge ok' })
  events.addEventListener('error', () => { $('live').textContent = 'swarm gone'; $('live').className = 'badge bad' })
  events.addEventListener('round', (e) => {
    const { index, ...round } = JSON.parse(e.data)
    const node = nodes.find((n) => n.index === index)
    if (node === undefined) return void load().catch(report)
    if (!node.rounds.some((r) => r.round === round.round)) node.rounds.push(round)
    draw()
  })
  // Node API addresses arrive once each node listens.
  window.setInterval(() => { if (nodes.some((n) => n.api === null)) load().catch(report) }, 3000)
  window.addEventListener('resize', () => { build(); draw() })
}

main().catch(report)
