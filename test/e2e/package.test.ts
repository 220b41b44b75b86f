import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readdir, readFile, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { tempDir } from './daemon-fixture.ts'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

describe('the npm package', function () {
  this.timeout(300_000)

  it('packs into a tarball of compiled JavaScript that installs into an empty prefix and runs meshtrain --help and init on plain Node', async () => {
    const temp = await tempDir()
    try {
      // dist/ as the end-to-end tests built it (src/cli/compiled-main.ts, through daemon-fixture.ts):
      // npm pack's own build (prepack) would remove it under the other files' running daemons.
      const packed = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', temp.path, '--silent'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 })
      const tarball = join(temp.path, packed.stdout.trim().split('\n').at(-1) as string)
      const { stdout: listing } = await run('tar', ['-tzf', tarball])
      const files = listing.trim().split('\n')
      assert.ok(files.includes('package/bin/meshtrain.js') && files.includes('package/dist/cli/main.js') && files.includes('package/dist/api/dashboard/index.html'), files.join('\n'))
      assert.deepEqual(files.filter(f => f.endsWith('.ts')), [], 'no TypeScript in the package')

      const prefix = join(temp.path, 'prefix')
      // Without the optional @tensorflow/tfjs-node: its install script downloads libtensorflow, and
      // no test reaches the internet (npm skips it on a machine without access all the same).
      await run('npm', ['install', '--global', '--prefix', prefix, tarball, '--prefer-offline', '--omit=optional', '--no-audit', '--no-fund'], { maxBuffer: 16 * 1024 * 1024 })
      const bin = join(prefix, 'bin', 'meshtrain')
      assert.notEqual((await stat(bin)).mode & 0o111, 0)
      // Plain Node (this one, 22 or newer) first on PATH; no TypeScript loader, no repository.
      const env = { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: temp.path }
      const help = await run(bin, ['--help'], { env, cwd: temp.path })
      assert.match(help.stdout, /^usage: meshtrain <command> \[options\]/)
      const version = await run(bin, ['--version'], { env, cwd: temp.path })
      assert.equal(version.stdout, `meshtrain ${(JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version} (node ${process.version})\n`)
      const dataDir = join(temp.path, 'site')
      const init = await run(bin, ['init', '--data-dir', dataDir], { env, cwd: temp.path })
      assert.match(init.stdout, /created node 12D3KooW\S+ in /)
      assert.deepEqual((await readdir(dataDir)).sort(), ['config.json', 'identity.key', 'manifest.json'])
    } finally {
      await temp.remove()
    }
  })
})
