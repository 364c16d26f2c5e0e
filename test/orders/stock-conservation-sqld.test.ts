/**
 * The bank-style conservation test (test/support/scenarios/stock-conservation.ts) on a libSQL server: two
 * instances with an embedded replica each, on one sqld primary; the ledger read from the primary.
 */
import { stockConservationScenario } from '../support/scenarios/stock-conservation'

stockConservationScenario('sqld')
