/**
 * `bun run lab` lists the labs; `bun run lab <name>` runs one and prints its table and what it shows
 * (LAB_LANG=ko for Korean; by default from the locale), and when it has charts, writes its HTML report to
 * labs/out/<name>.html. `--fast` runs the small version the tests run.
 */

import { breakerLab } from './breaker'
import { bulkheadLab } from './bulkhead'
import { cacheLab } from './cache'
import { idempotencyLab } from './idempotency'
import { type Lab, languageOf, renderTable } from './lab'
import { outboxLab } from './outbox'
import { paginationLab } from './pagination'
import { ratelimitLab } from './ratelimit'
import { replicaLab } from './replica'
import { writeReport } from './report'
import { stampedeLab } from './stampede'
import { stockLab } from './stock'

const LABS: Lab[] = [
  stockLab,
  idempotencyLab,
  cacheLab,
  stampedeLab,
  outboxLab,
  breakerLab,
  bulkheadLab,
  paginationLab,
  replicaLab,
  ratelimitLab,
]

const [name] = Bun.argv.slice(2).filter((arg) => !arg.startsWith('--'))
const language = languageOf()
const lab = LABS.find((candidate) => candidate.name === name)
if (!lab) {
  if (name) console.error(`no lab named ${name}`)
  console.log(language === 'ko' ? '실습 목록 (bun run lab <이름>):' : 'Labs (bun run lab <name>):')
  for (const candidate of LABS) console.log(`  ${candidate.name.padEnd(12)} ${candidate.title[language]}`)
  process.exit(name ? 2 : 0)
}
console.log(`\n${lab.title[language]}\n`)
const result = await lab.run({ isFast: Bun.argv.includes('--fast') })
console.log(`${renderTable(result.table, language)}\n\n${result.explanation(language)}`)
if (result.charts?.length) {
  const path = await writeReport(lab, result, language)
  console.log(`\n${language === 'ko' ? '차트가 있는 보고서' : 'Report with charts'}: ${path}`)
}
