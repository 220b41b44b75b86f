import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type { StaticPage } from './api-server.ts'

/** Everything the dashboard page loads: never anything from outside the node. */
const DASHBOARD_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/**
 * The node's dashboard (`/`) and its assets: the page, its script and style (`src/api/dashboard/`)
 * and uPlot's script and style, read from the uplot package in node_modules. Read once, at start.
 * @throws Error when a file is missing (a broken install).
 */
export async function dashboardPages (): Promise<Map<string, StaticPage>> {
  return await pages('index.html', 'dashboard.js')
}

/** The swarm's dashboard (`/`: every node on the same charts) and its assets, as {@link dashboardPages}. */
export async function swarmDashboardPages (): Promise<Map<string, StaticPage>> {
  return await pages('swarm.html', 'swarm.js')
}

async function pages (html: string, script: string): Promise<Map<string, StaticPage>> {
  const require = createRequire(import.meta.url)
  const own = (name: string): URL => new URL(`./dashboard/${name}`, import.meta.url)
  const files: Array<[string, string | URL, string]> = [
    ['/', own(html), 'text/html; charset=utf-8'],
    [`/assets/${script}`, own(script), 'text/javascript; charset=utf-8'],
    ['/assets/dashboard.css', own('dashboard.css'), 'text/css; charset=utf-8'],
    ['/assets/uPlot.iife.min.js', require.resolve('uplot/dist/uPlot.iife.min.js'), 'text/javascript; charset=utf-8'],
    ['/assets/uPlot.min.css', require.resolve('uplot/dist/uPlot.min.css'), 'text/css; charset=utf-8']
  ]
  const out = new Map<string, StaticPage>()
  for (const [path, file, contentType] of files) {
    out.set(path, { contentType, body: await readFile(file), ...(path === '/' ? { csp: DASHBOARD_CSP } : {}) })
  }
  return out
}
