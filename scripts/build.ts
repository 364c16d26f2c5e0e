/**
 * The single-binary build (`bun run build`, the Dockerfile, test/platform/binary.test.ts): what
 * `bun build --compile --minify --sourcemap` does, plus one plugin so that libSQL's native module travels inside
 * the binary.
 *
 * Why the plugin: `@libsql/client`'s Node entry imports the `libsql` package for every URL scheme (`http://`
 * too), and `libsql/index.js` loads its addon with `require(`@libsql/${target}`)`, a name computed at run time.
 * The bundler cannot follow a computed require, so a plain compile leaves a run-time package lookup that starts
 * from the binary's virtual root `/$bunfs/root`, where there is no node_modules: the binary dies at start-up with
 * "Cannot find module '@libsql/linux-x64-gnu'". The plugin rewrites libsql's `requireNative()` at bundle time
 * into a static `require('@libsql/linux-x64-gnu')` (this machine's package; its main is `index.node`, 9.7 MB);
 * the same in `libsql/promise.js`, whose asynchronous sync the embedded replica uses (embedded-replica.ts).
 * Bun embeds a statically required `.node` in the executable; at run time it writes it once to `$TMPDIR/.bun-<euid>-<content hash>.node` (later starts and
 * processes reuse that file) and dlopens it, so the binary needs a writable TMPDIR (default /tmp), no node_modules.
 *
 * The addon is the one this Bun loads: same OS, CPU and C library as the Bun executable the binary is copied
 * from, so build on (or in an image like) the machine that runs it. Cross-compiling (`--target`) is not supported.
 *
 * Usage: bun scripts/build.ts [entry=src/main.ts] [outfile=dist/marketplace]
 */
import { dirname, join } from 'node:path'
import type { BunPlugin } from 'bun'

const ROOT = join(import.meta.dir, '..')

/** libsql's addon loader in its index.js (libsql 0.5.x); a changed file fails the build instead of the binary. */
const REQUIRE_NATIVE = /function requireNative\(\) \{[\s\S]*?return require\(`@libsql\/\$\{target\}`\);\s*\}/

const LOAD_FAILED =
  "libSQL's native module, embedded in this binary, did not load: the binary writes it to $TMPDIR (default /tmp) " +
  'to load it, so TMPDIR must be a writable folder, and the machine must have the OS, CPU and C library of the ' +
  'one that built the binary'

/** The `@libsql/<target>` package libsql picks on this machine (its neon target names). */
function libsqlNativePackage(): string {
  const base = `@libsql/${process.platform}-${process.arch}`
  if (process.platform === 'win32') return `${base}-msvc`
  if (process.platform !== 'linux') return base
  // Bun ships glibc and musl builds; the running one is the runtime the binary gets, so ask the process itself.
  const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } }
  return `${base}-${report.header?.glibcVersionRuntime ? 'gnu' : 'musl'}`
}

export const embedLibsqlNative: BunPlugin = {
  name: 'embed-libsql-native',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]libsql[\\/](index|promise)\.js$/ }, async ({ path }) => {
      const source = await Bun.file(path).text()
      if (!REQUIRE_NATIVE.test(source))
        throw new Error(
          `${path}: requireNative() is not the one scripts/build.ts rewrites; update the plugin`,
        )
      const addon = libsqlNativePackage()
      // A require inside try/catch that does not resolve is left for run time: fail the build instead.
      Bun.resolveSync(addon, dirname(path))
      // Bun's own error for a TMPDIR it cannot write names only the virtual path; say what the binary needs.
      const contents = source.replace(
        REQUIRE_NATIVE,
        `function requireNative() {
          try { return require(${JSON.stringify(addon)}); }
          catch (cause) { throw new Error(${JSON.stringify(LOAD_FAILED)}, { cause }); }
        }`,
      )
      return { contents, loader: 'js' }
    })
  },
}

/** Compiles `entry` into the executable `outfile` (and `outfile.map`); throws with the bundler's messages. */
export async function buildBinary(entry: string, outfile: string): Promise<void> {
  const result = await Bun.build({
    entrypoints: [entry],
    compile: { outfile },
    minify: true,
    sourcemap: 'linked',
    plugins: [embedLibsqlNative],
    throw: false,
  })
  if (!result.success) throw new AggregateError(result.logs, `bun build --compile ${entry} failed`)
}

if (import.meta.main) {
  const [entry = join(ROOT, 'src', 'main.ts'), outfile = join(ROOT, 'dist', 'marketplace')] =
    Bun.argv.slice(2)
  await buildBinary(entry, outfile)
  console.log(`${outfile}: ${(Bun.file(outfile).size / 1e6).toFixed(1)} MB`)
}
