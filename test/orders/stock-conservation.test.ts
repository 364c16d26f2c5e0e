/** The bank-style conservation test (test/support/scenarios/stock-conservation.ts) on one shared SQLite file. */
import { stockConservationScenario } from '../support/scenarios/stock-conservation'

stockConservationScenario('file')
