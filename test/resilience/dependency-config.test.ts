/** The remote dependencies' settings of src/config.ts (SPEC §7): defaults, parsing, and every bad value named. */
import { describe, expect, test } from 'bun:test'
import { loadConfig } from '../../src/config'
import { configProblems as problemsOf } from '../support/harness'

describe('loadConfig: remote dependencies', () => {
  test('defaults: no URL (the app starts the simulators), payment patient, recommendations quick', () => {
    const { payment, recommendation } = loadConfig({}).dependencies
    expect(payment).toEqual({
      url: undefined,
      timeoutMs: 2_000,
      retries: 2,
      retryDelayMs: { initial: 50, max: 1_000 },
      bulkhead: { maxConcurrent: 16, maxQueue: 32 },
      breaker: { failureRatio: 0.5, window: 20, minimumCalls: 10, openMs: 10_000 },
    })
    expect(recommendation).toMatchObject({
      url: undefined,
      timeoutMs: 300,
      retries: 1,
      bulkhead: { maxConcurrent: 8 },
    })
  })

  test('every setting is read from its own variable', () => {
    const { payment } = loadConfig({
      PAYMENT_URL: 'https://pay.internal:8443/base',
      PAYMENT_TIMEOUT_MS: '1500',
      PAYMENT_RETRIES: '0',
      PAYMENT_BULKHEAD_MAX_CONCURRENT: '4',
      PAYMENT_BULKHEAD_MAX_QUEUE: '0',
      PAYMENT_BREAKER_FAILURE_PERCENT: '25',
      PAYMENT_BREAKER_WINDOW: '40',
      PAYMENT_BREAKER_MINIMUM_CALLS: '40',
      PAYMENT_BREAKER_OPEN_MS: '3000',
    }).dependencies
    expect(payment).toEqual({
      url: 'https://pay.internal:8443/base',
      timeoutMs: 1_500,
      retries: 0,
      retryDelayMs: { initial: 50, max: 1_000 },
      bulkhead: { maxConcurrent: 4, maxQueue: 0 },
      breaker: { failureRatio: 0.25, window: 40, minimumCalls: 40, openMs: 3_000 },
    })
  })

  test('bad values are all named in one error', () => {
    const problems = problemsOf({
      PAYMENT_URL: 'ftp://pay.internal',
      RECOMMENDATION_URL: 'http://user:secret@recs.internal',
      PAYMENT_BREAKER_FAILURE_PERCENT: '100',
      RECOMMENDATION_BREAKER_WINDOW: '5',
      RECOMMENDATION_BREAKER_MINIMUM_CALLS: '6',
      PAYMENT_BULKHEAD_MAX_CONCURRENT: '0',
    })
    expect(problems).toHaveLength(5)
    expect(problems.join('\n')).toContain('PAYMENT_URL')
    expect(problems.join('\n')).toContain('RECOMMENDATION_URL')
    expect(problems.join('\n')).not.toContain('secret')
    expect(problems.join('\n')).toContain('RECOMMENDATION_BREAKER_MINIMUM_CALLS=6: must not exceed')
  })
})
