/**
 * The docs stay true and self-contained: the README is a short entry (under 25 KB) whose table of contents
 * points at real headings; no link in the READMEs (English, Korean) or docs/ leaves the repository or climbs with `../` (docs link
 * repository files from its root: `/src/config.ts`); every link resolves; docs/configuration.md documents exactly the variables src/config.ts
 * reads.
 */
import { describe, expect, test } from 'bun:test'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { DEPENDENCY_VARIABLES } from '../../src/config'
import { PROJECT_ROOT } from '../support/paths'

const ROOT = PROJECT_ROOT
const DOCS = [
  'README.md',
  'README.ko.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
]
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8')

/** Markdown links and autolinks, outside fenced code blocks. */
function linksOf(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, '')
  const inline = [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!)
  const auto = [...prose.matchAll(/<(https?:\/\/[^>]+)>/g)].map((m) => m[1]!)
  return [...inline, ...auto]
}

/**
 * Where a link points in the repository: `/src/x.ts` from its root (how GitHub reads a leading slash), anything
 * else from the linking file's folder.
 */
function targetOf(file: string, link: string): string {
  const path = link.split('#')[0]!
  return path.startsWith('/') ? resolve(ROOT, `.${path}`) : resolve(ROOT, dirname(file), path)
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slugOf(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .replace(/\s/g, '-')
}

describe('docs', () => {
  test('the README is a quick entry: under 25 KB', () => {
    expect(Buffer.byteLength(read('README.md'))).toBeLessThan(25 * 1024)
  })

  test('no link leaves the repository (a local server URL is fine)', () => {
    const leaving = DOCS.flatMap((file) =>
      linksOf(read(file))
        .filter((link) => {
          if (/^https?:\/\//.test(link)) return !/^https?:\/\/(localhost|127\.0\.0\.1)[:/]/.test(link)
          if (link.startsWith('#')) return false
          // no link climbs with ../ (from docs/ a reader's tools may resolve it anywhere): root links start with /
          return link.includes('../') || relative(ROOT, targetOf(file, link)).startsWith('..')
        })
        .map((link) => `${file}: ${link}`),
    )
    expect(leaving).toEqual([])
  })

  test('every relative link resolves to a file or folder of the repository', () => {
    const broken = DOCS.flatMap((file) =>
      linksOf(read(file))
        .filter((link) => !/^https?:\/\//.test(link) && !link.startsWith('#'))
        .filter((link) => !existsSync(targetOf(file, link)))
        .map((link) => `${file}: ${link}`),
    )
    expect(broken).toEqual([])
  })

  test("the README's in-page links point at its headings", () => {
    const readme = read('README.md')
    const anchors = new Set(
      [...readme.replace(/```[\s\S]*?```/g, '').matchAll(/^#{1,6} (.+)$/gm)].map((m) => slugOf(m[1]!)),
    )
    const dangling = linksOf(readme)
      .filter((link) => link.startsWith('#'))
      .filter((link) => !anchors.has(link.slice(1)))
    expect(dangling).toEqual([])
  })

  test('docs/configuration.md documents exactly the variables src/config.ts reads', () => {
    const source = read('src/config.ts')
    const read_ = new Set([...source.matchAll(/read\s*\.\s*\w+\(\s*'([A-Z][A-Z0-9_]+)'/g)].map((m) => m[1]!))
    // each dependency's variables: its prefix (readDependency(read, 'PAYMENT', …)) and every suffix
    for (const [, prefix] of source.matchAll(/readDependency\(read, '([A-Z]+)'/g))
      for (const variable of DEPENDENCY_VARIABLES) read_.add(`${prefix}_${variable}`)
    // a table row documents every variable in its first cell (`A`, `B`)
    const firstCells = [...read('docs/configuration.md').matchAll(/^\| ((?:`[A-Z][A-Z0-9_]+`(?:, )?)+) \|/gm)]
    const documented = new Set(
      firstCells.flatMap((m) => [...m[1]!.matchAll(/`([A-Z0-9_]+)`/g)].map((n) => n[1]!)),
    )
    expect([...read_].filter((name) => !documented.has(name)).sort()).toEqual([])
    expect([...documented].filter((name) => !read_.has(name)).sort()).toEqual([])
  })
})
