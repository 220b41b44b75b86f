#!/usr/bin/env node
// The meshtrain command. From a checkout it runs the TypeScript sources (the pinned Node 22
// strips their types); the packed package has no sources and runs the compiled dist/ instead,
// on any Node 22 or newer, without a TypeScript loader.
/* global URL */
import { existsSync } from 'node:fs'

const sources = new URL('../src/cli/main.ts', import.meta.url)
await import(existsSync(sources) ? sources.href : new URL('../dist/cli/main.js', import.meta.url).href)
