import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'
import { DEFAULT_MANIFEST } from '../../src/protocol/index.ts'
import { DaemonProcess, MAIN, PACED_ROUND_MS, tempDir } from './daemon-fixture.ts'
import { apiUrl, initMesh } from './mesh-fixture.ts'

/** Debian's chromium (scripts/install-system-deps.sh installs it), or MESHTRAIN_CHROMIUM. */
const CHROMIUM = process.env.MESHTRAIN_CHROMIUM ?? '/usr/bin/chromium'
/**
 * Where the screenshots go: a temporary directory, so that a test run leaves the checkout as it
 * was; `SCREENSHOT_DIR=docs` rewrites the README's (docs/dashboard-node.png, docs/dashboard-swarm.png).
 */
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR ?? mkdtempSync(join(tmpdir(), 'meshtrain-screenshots-'))
const SCREENSHOT = { pathname: join(SCREENSHOT_DIR, 'dashboard-node.png') }
const SWARM_SCREENSHOT = { pathname: join(SCREENSHOT_DIR, 'dashboard-swarm.png') }

/**
 * Poll `expression` in the page until it is true. (Playwright's waitForFunction compiles its
 * predicate inside the page, which the dashboard's Content-Security-Policy forbids.)
 */
async function waitInPage (page: Page, expression: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (await page.evaluate(expression) !== true) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${expression}`)
    await new Promise(resolve => setTimeout(resolve, 200))
  }
}

describe('the dashboard in a real browser', function () {
  this.timeout(240_000)
  const started: DaemonProcess[] = []
  let browser: Browser | undefined
  let temp: Awaited<ReturnType<typeof tempDir>> | undefined

  before(function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`      skipped: no chromium at ${CHROMIUM} (run scripts/install-system-deps.sh, or set MESHTRAIN_CHROMIUM)`)
      this.skip()
    }
  })
  // The first test's daemons stop with it: left training, they took the CPU the second test's swarm needs.
  afterEach(() => {
    for (const d of started.splice(0)) d.stop()
  })
  after(async () => {
    await browser?.close()
    await temp?.remove()
  })

  it('draws a node\'s charts and peers while 3 daemons train, showing the round the API reports', async () => {
    temp = await tempDir()
    const nodes = await initMesh(temp.path, { ...DEFAULT_MANIFEST, rounds: { quorum: 2, deadlineMs: 4_000, window: 2 } }, 3, { minRoundMs: PACED_ROUND_MS })
    started.push(...nodes.map(n => new DaemonProcess(n.dir)))
    const watched = started[0] as DaemonProcess
    const url = await apiUrl(watched, nodes[0]?.dir as string)

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] })
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } })
    const problems: string[] = []
    page.on('pageerror', err => problems.push(`page error: ${err.message}`))
    page.on('console', msg => { if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`) })
    page.on('requestfailed', req => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText ?? ''}`))
    const origins = new Set<string>()
    page.on('request', req => { origins.add(new URL(req.url()).origin) })

    // Opened while the swarm is still early: the page must follow the rounds live.
    await page.goto(`${url}/`)
    await watched.waitFor(() => watched.lastRound >= 3, 'round 3')

    // The round shown is the round the API reports (a round may close between the two reads: retry).
    let shown = ''
    let reported: unknown
    for (let tries = 0; tries < 50; tries++) {
      shown = (await page.locator('#round').textContent()) ?? ''
      reported = ((await (await fetch(`${url}/api/v1/status`)).json()) as { round: unknown }).round
      if (shown === String(reported)) break
      await new Promise(resolve => setTimeout(resolve, 200))
    }
    assert.equal(shown, String(reported), 'the dashboard shows the API\'s round')
    assert.ok(Number(shown) >= 3, `round shown ${shown}`)

    // Four uPlot charts, each with something drawn on its canvas.
    // (Browser-side code as text: the project's TypeScript has no DOM types.)
    const inked = await page.evaluate(`[...document.querySelectorAll('.chart canvas')].map(canvas => {
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data
      let ink = 0
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) ink++
      return { width: canvas.width, ink }
    })`) as Array<{ width: number, ink: number }>
    assert.equal(inked.length, 4, JSON.stringify(inked))
    for (const c of inked) assert.ok(c.width > 200 && c.ink > 500, `a chart drew nothing: ${JSON.stringify(inked)}`)
    const series = await page.evaluate("document.querySelectorAll('.u-legend .u-series').length") as number
    assert.ok(series >= 4 + 4, `legend series ${series}`)

    // The peer table lists the two other nodes.
    await waitInPage(page, "document.querySelectorAll('#peers-table tbody tr').length === 2", 10_000)
    const titles = await page.evaluate("[...document.querySelectorAll('#peers-table tbody tr')].map(r => r.title)") as string[]
    assert.deepEqual(titles.sort(), [nodes[1]?.peerId, nodes[2]?.peerId].sort())
    assert.equal(await page.locator('#live').textContent(), 'live')
    await waitInPage(page, "document.getElementById('ready').textContent === 'ready'", 10_000)

    await page.screenshot({ path: SCREENSHOT.pathname, fullPage: true })
    assert.deepEqual(problems, [])
    assert.deepEqual([...origins], [new URL(url).origin], 'everything comes from the node itself')
  })

  it('draws every node of a swarm on the same charts, attackers marked, while it trains', async () => {
    const swarm = spawn(process.execPath, [MAIN, 'swarm', '--nodes', '4', '--byzantine', '1', '--attack', 'sign-flip', '--rounds', '30'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    swarm.stdout.setEncoding('utf8')
    swarm.stdout.on('data', (chunk: string) => { output += chunk })
    swarm.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
    const exited = new Promise<number | null>(resolve => swarm.on('exit', resolve))
    try {
      const deadline = Date.now() + 60_000
      let url: string | undefined
      while ((url = /swarm: dashboard on (http:\/\/127\.0\.0\.1:\d+)\//.exec(output)?.[1]) === undefined) {
        assert.ok(Date.now() < deadline && swarm.exitCode === null, `no dashboard URL; output:\n${output}`)
        await new Promise(resolve => setTimeout(resolve, 100))
      }
      browser ??= await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] })
      const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } })
      const problems: string[] = []
      page.on('pageerror', err => problems.push(`page error: ${err.message}`))
      page.on('console', msg => { if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`) })
      page.on('requestfailed', req => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText ?? ''}`))
      const origins = new Set<string>()
      page.on('request', req => { origins.add(new URL(req.url()).origin) })
      await page.goto(`${url}/`)
      await waitInPage(page, "Number(document.getElementById('round').textContent) >= 3", 120_000)

      // The round shown is the lowest last round of the nodes, as the swarm's API has it.
      let shown = ''
      let reported = -1
      for (let tries = 0; tries < 50; tries++) {
        shown = (await page.locator('#round').textContent()) ?? ''
        const { nodes } = await (await fetch(`${url}/api/v1/swarm`)).json() as { nodes: Array<{ rounds: Array<{ round: number }> }> }
        reported = Math.min(...nodes.map(n => n.rounds.at(-1)?.round ?? -1))
        if (shown === String(reported)) break
        await new Promise(resolve => setTimeout(resolve, 200))
      }
      assert.equal(shown, String(reported))

      const inked = await page.evaluate(`[...document.querySelectorAll('.chart canvas')].map(canvas => {
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data
        let ink = 0
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) ink++
        return { width: canvas.width, ink }
      })`) as Array<{ width: number, ink: number }>
      assert.equal(inked.length, 4, JSON.stringify(inked))
      for (const c of inked) assert.ok(c.width > 200 && c.ink > 500, `a chart drew nothing: ${JSON.stringify(inked)}`)
      // One series per node on each chart, the attacker's labelled as such.
      const labels = await page.evaluate("[...document.querySelectorAll('#chart-accuracy .u-legend .u-series')].map(s => s.textContent)") as string[]
      assert.equal(labels.filter(l => /^node \d/.test(l)).length, 4, labels.join(' | '))
      assert.equal(labels.filter(l => l.includes('(attacker)')).length, 1, labels.join(' | '))
      const roles = await page.evaluate("[...document.querySelectorAll('#nodes-table tbody tr')].map(r => r.children[2].textContent)") as string[]
      assert.deepEqual(roles, ['honest', 'honest', 'honest', 'attacker'])
      await waitInPage(page, "[...document.querySelectorAll('#nodes-table tbody a')].length === 4", 15_000)
      assert.equal(await page.locator('#live').textContent(), 'live')

      await page.screenshot({ path: SWARM_SCREENSHOT.pathname, fullPage: true })
      assert.deepEqual(problems, [])
      assert.deepEqual([...origins], [new URL(url).origin], 'everything comes from the swarm process itself')
    } finally {
      swarm.kill('SIGINT')
      assert.equal(await exited, 0, output.slice(-3000))
    }
  })
})
