/** The flash sale (test/support/scenarios/flash-sale.ts) on processes sharing one SQLite file. */
import { flashSaleScenario } from '../support/scenarios/flash-sale'

flashSaleScenario('file')
