/**
 * The flash sale (test/support/scenarios/flash-sale.ts) on a libSQL server: a sqld primary, and the server
 * processes as instances with an embedded replica each, placing orders as one write batch per order.
 */
import { flashSaleScenario } from '../support/scenarios/flash-sale'

flashSaleScenario('sqld')
