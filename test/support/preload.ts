/**
 * Loaded by `bun test` before any test file (bunfig.toml `[test] preload`): the services a run starts on first
 * use (test/support/services.ts) are stopped once, after the last file.
 */
import { stopServicesAfterTheRun } from './services'

stopServicesAfterTheRun()
