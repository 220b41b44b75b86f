#!/usr/bin/env node
// The meshtrain command. From a checkout it runs the TypeScript sources (the pinned Node 22
// strips their types); the packed package has no sources and runs the compiled dist/ instead,
// on any Node 22 or newer, without a TypeScript loader.
/* global URL, process */
import { existsSync } from 'node:fs'

// Until main's own early-signals handlers are in place, a SIGINT/SIGTERM exits 0 at once: nothing
// has started yet. Node takes about 100 ms to set up type stripping before the first line of a
// TypeScript file runs, and this plain JavaScript file runs before that.
const exitAtOnce = () => { process.exit(0) }
process.on('SIGINT', exitAtOnce)
process.on('SIGTERM', exitAtOnce)

const sources = new URL('../src/cli/main.ts', import.meta.url)
await import(existsSync(sources) ? sources.href : new URL('../dist/cli/main.js', import.meta.url).href)
// main.ts has run its first import (early-signals.ts), which now answers these signals.
process.off('SIGINT', exitAtOnce)
process.off('SIGTERM', exitAtOnce)
