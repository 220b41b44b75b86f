/* global document, window, fetch, EventSource, uPlot */
// The node's dashboard: reads the node's own API (same origin) and draws with uPlot, which the
// node serves from its node_modules. Nothing comes from the internet.
'use strict'

const rounds = []
const charts = {}
const $ = (id) => document.getElementById(id)
const fixed = (x, digits) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits))

async function getJson (path) {
  const res = await fetch(path, { cache: 'no-store' })
  if (!res.ok) throw new Error(`${path}: ${res.status}`)
  return res.json()
}

function makeChart (id, series, scales) {
  const el = $(id)
  const options = {
    width: Math.max(300, el.clientWidth),
    height: 240,
    scales: { x: { time: false }, ...scales },
    // Rounds are whole numbers: no tick between them.
    axes: [{ label: 'round', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] }, ...Object.keys(scales).filter((s) => s !== 'x').map((scale, i) => ({ scale, side: i === 0 ? 3 : 1, grid: { show: i === 0 } }))],
    series: [{ label: 'round' }, ...series]
  }
  charts[id] = new uPlot(options, [[], ...series.map(() => [])], el)
}

function drawCharts () {
  const x = rounds.map((r) => r.round)
  const col = (f) => rounds.map(f)
  charts['chart-accuracy'].setData([x, col((r) => r.accuracy), col((r) => (Number.isFinite(r.loss) ? r.loss : null))])
  charts['chart-inputs'].setData([x, col((r) => r.used), col((r) => r.refused)])
  charts['chart-time'].setData([x, col((r) => r.trainingMs), col((r) => r.waitMs), col((r) => r.aggregationMs)])
  charts['chart-bytes'].setData([x, col((r) => r.bytesFetched / 1000)])
}

// Rounds in order, each once: the listing and the event stream may both bring one.
function addRound (record) {
  if (rounds.some((r) => r.round === record.round)) return
  const at = rounds.findIndex((r) => r.round > record.round)
  if (at === -1) rounds.push(record)
  else rounds.splice(at, 0, record)
  drawCharts()
  const latest = rounds[rounds.length - 1]
  $('round').textContent = String(latest.round)
  $('accuracy').textContent = fixed(latest.accuracy, 4)
  $('loss').textContent = fixed(latest.loss, 4)
}

async function refreshStatus () {
  // /api/v1/status says what /readyz says, with 200: a 503 would be an error in the console.
  const status = await getJson('/api/v1/status')
  $('phase').textContent = status.phase
  $('peers').textContent = String(status.peers)
  const badge = $('ready')
  badge.textContent = status.ready ? 'ready' : `not ready: ${status.reasons.join('; ')}`
  badge.className = `badge ${status.ready ? 'ok' : 'bad'}`
}

async function refreshPeers () {
  const { peers } = await getJson('/api/v1/peers')
  const body = $('peers-table').tBodies[0]
  body.replaceChildren(...peers.map((p) => {
    const row = document.createElement('tr')
    if (p.graylisted || p.bannedUntil !== null) row.className = 'bad'
    const verdicts = Object.entries(p.verdicts).map(([code, n]) => `${code} ${n}`).join(', ') || '–'
    const cells = [
      [p.peerId.slice(0, 8) + '…' + p.peerId.slice(-6), 'mono'],
      [p.connected ? 'yes' : 'no'],
      [p.latencyMs === null ? '–' : `${Math.round(p.latencyMs)} ms`],
      [fixed(p.score, 2)],
      [p.lastRound === null ? '–' : String(p.lastRound)],
      [p.lastModelHash === null ? '–' : p.lastModelHash.slice(0, 12), 'mono'],
      [verdicts],
      [p.bannedUntil !== null ? `banned until ${p.bannedUntil}` : p.graylisted ? 'graylisted' : 'ok']
    ]
    for (const [text, cls] of cells) {
      const td = document.createElement('td')
      td.textContent = text
      if (cls) td.className = cls
      row.append(td)
    }
    row.title = p.peerId
    return row
  }))
}

function follow () {
  const events = new EventSource('/api/v1/events')
  events.addEventListener('open', () => { $('live').textContent = 'live'; $('live').className = 'badge ok' })
  events.addEventListener('error', () => { $('live').textContent = 'reconnecting'; $('live').className = 'badge bad' })
  events.addEventListener('round', (e) => {
    addRound(JSON.parse(e.data))
    refreshStatus().catch(report)
    refreshPeers().catch(report)
  })
  events.addEventListener('peer', () => { refreshPeers().catch(report) })
}

function report (err) {
  $('live').textContent = `error: ${err.message}`
  $('live').className = 'badge bad'
}

async function main () {
  makeChart('chart-accuracy', [
    { label: 'held-out accuracy', scale: 'ratio', stroke: '#1f77b4', width: 2 },
    { label: 'training loss', scale: 'loss', stroke: '#d62728', width: 2 }
  ], { ratio: { range: [0, 1] }, loss: {} })
  makeChart('chart-inputs', [
    { label: 'used', scale: 'n', stroke: '#2ca02c', width: 2 },
    { label: 'refused', scale: 'n', stroke: '#d62728', width: 2 }
  ], { n: { range: (_u, _min, max) => [0, Math.max(1, max)] } })
  makeChart('chart-time', [
    { label: 'training ms', scale: 'ms', stroke: '#9467bd', width: 2 },
    { label: 'waiting ms', scale: 'ms', stroke: '#8c8c8c', width: 2 },
    { label: 'aggregation ms', scale: 'ms', stroke: '#ff7f0e', width: 2 }
  ], { ms: {} })
  makeChart('chart-bytes', [{ label: 'kB fetched', scale: 'kB', stroke: '#17becf', width: 2 }], { kB: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } })
  window.addEventListener('resize', () => {
    for (const [id, chart] of Object.entries(charts)) chart.setSize({ width: Math.max(300, $(id).clientWidth), height: 240 })
  })

  const node = await getJson('/api/v1/node')
  $('peer-id').textContent = node.peerId
  $('node-line').textContent = `network ${node.networkId} · rule ${node.rule} · backend ${node.backend} · ${node.parameters} parameters · meshtrain ${node.version}`
  document.title = `meshtrain ${node.peerId.slice(-6)}`
  // Follow first, then list: a round that closes in between arrives twice and is kept once.
  follow()
  let since = 0
  for (;;) {
    const page = await getJson(`/api/v1/rounds?since=${since}`)
    for (const r of page.rounds) addRound(r)
    if (!page.truncated || page.rounds.length === 0) break
    since = page.rounds[page.rounds.length - 1].round + 1
  }
  await Promise.all([refreshStatus(), refreshPeers()])
  window.setInterval(() => { refreshStatus().catch(report) }, 2000)
  window.setInterval(() => { refreshPeers().catch(report) }, 5000)
}

main().catch(report)
