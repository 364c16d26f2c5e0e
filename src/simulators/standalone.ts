/**
 * A simulator as a process of its own (`marketplace simulate <name>`, `bun run sim:payments`,
 * `bun run sim:recommendations`, the compose stack's simulator services): several app instances share it, so a
 * fault injected through one instance reaches them all. PORT and HOST say where it listens (127.0.0.1 by default;
 * 0.0.0.0 in a container); the recommendation service recommends from product ids 1..SIM_PRODUCT_ID_MAX (50).
 * Those variables are read by loadSimulatorConfig (src/config.ts), which main.ts calls.
 */
import type { SimulatorConfig } from '../config'
import { startPaymentGateway } from './payment-gateway'
import { startRecommendationService } from './recommendation-service'

export const SIMULATORS = ['payment-gateway', 'recommendations'] as const
export type SimulatorName = (typeof SIMULATORS)[number]

export function isSimulatorName(name: string | undefined): name is SimulatorName {
  return SIMULATORS.includes(name as SimulatorName)
}

/** Starts it and resolves once it listens; it runs until the process is stopped. */
export async function runSimulator(name: SimulatorName, settings: SimulatorConfig): Promise<void> {
  if (name === 'payment-gateway') {
    const simulator = await startPaymentGateway(settings.port, settings.host)
    console.log(
      `payment gateway simulator on ${simulator.url} (control API: ${simulator.url}/__control/faults)`,
    )
    return
  }
  const catalog = Array.from({ length: settings.productIdMax }, (_, i) => i + 1)
  const simulator = await startRecommendationService(catalog, settings.port, settings.host)
  console.log(
    `recommendation service simulator on ${simulator.url} (control API: ${simulator.url}/__control/faults)`,
  )
}
