/**
 * Tools the project's own tooling installs from Debian when they are missing (redis-server, prometheus,
 * docker-compose): with apt-get, as root or through sudo. Nothing is installed elsewhere; the caller then fails
 * loudly with how to get the tool.
 */

/** Installs the Debian `pkg` when any of `binaries` is missing; true when they are all there afterwards. */
export function installFromApt(pkg: string, binaries: readonly string[]): boolean {
  const isThere = () => binaries.every((binary) => Bun.which(binary))
  if (isThere()) return true
  if (process.platform !== 'linux' || !Bun.which('apt-get')) return false
  const sudo = process.getuid?.() === 0 ? [] : ['sudo']
  if (sudo.length > 0 && !Bun.which('sudo')) return false
  console.error(`${binaries.join(', ')} missing: installing the Debian package ${pkg} with apt-get`)
  const install = [...sudo, 'apt-get', 'install', '-y', '-q', '--no-install-recommends', pkg]
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const ok = (cmd: string[]) => Bun.spawnSync(cmd, { env, stdout: 'ignore', stderr: 'inherit' }).success
  if (!ok(install)) ok([...sudo, 'apt-get', 'update', '-q']) && ok(install)
  return isThere()
}
