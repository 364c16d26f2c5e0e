/** The outbox and Kafka settings of src/config.ts: defaults, parsing, and every bad value named. */
import { describe, expect, test } from 'bun:test'
import { loadConfig } from '../../src/config'
import { configProblems as problemsOf } from '../support/harness'

describe('loadConfig: events', () => {
  test('without KAFKA_BROKERS events go to the in-process bus, with the relay on and its defaults', () => {
    const config = loadConfig({})

    expect(config.kafka).toBeUndefined()
    expect(config.outbox).toEqual({
      isRelayEnabled: true,
      pollIntervalMs: 100,
      batchSize: 100,
      leaseMs: 30_000,
      maxAttempts: 10,
      retryBaseMs: 1_000,
      retentionHours: 168,
      inboxRetentionHours: 192,
      maxPendingAgeSeconds: 60,
    })
  })

  test('KAFKA_BROKERS turns Kafka on (and the embedded default off), with its settings parsed', () => {
    const config = loadConfig({
      KAFKA_BROKERS: '127.0.0.1:9092, kafka-2.internal:19092,[::1]:9093',
      KAFKA_TOPIC_PREFIX: 'staging.',
      KAFKA_TOPIC_PARTITIONS: '6',
      KAFKA_SEND_TIMEOUT_MS: '2000',
      OUTBOX_RELAY_ENABLED: 'false',
    })

    expect(config.isEmbedded).toBe(false)
    expect(config.kafka).toEqual({
      brokers: ['127.0.0.1:9092', 'kafka-2.internal:19092', '[::1]:9093'],
      clientId: 'marketplace',
      topicPrefix: 'staging.',
      topicPartitions: 6,
      sendTimeoutMs: 2_000,
    })
    expect(config.outbox.isRelayEnabled).toBe(false)
  })

  test.each([
    'localhost',
    'kafka:99999',
    '127.0.0.1:9092,,127.0.0.2:9092',
    'kafka://127.0.0.1:9092',
    ':9092',
  ])('KAFKA_BROKERS=%s is rejected', (brokers) => {
    expect(problemsOf({ KAFKA_BROKERS: brokers }).join('\n')).toContain('KAFKA_BROKERS=')
  })

  test('a lease no longer than the send deadline is refused (another instance could send the rows again)', () => {
    const env = { KAFKA_BROKERS: '127.0.0.1:9092', KAFKA_SEND_TIMEOUT_MS: '5000' }

    expect(problemsOf({ ...env, OUTBOX_LEASE_MS: '5000' })).toEqual([
      'OUTBOX_LEASE_MS=5000: must exceed KAFKA_SEND_TIMEOUT_MS',
    ])
    expect(loadConfig({ ...env, OUTBOX_LEASE_MS: '5001' }).outbox.leaseMs).toBe(5001)
  })

  test('bad outbox and Kafka numbers are all named in one error', () => {
    const problems = problemsOf({
      KAFKA_BROKERS: '127.0.0.1:9092',
      KAFKA_TOPIC_PARTITIONS: '0',
      KAFKA_TOPIC_PREFIX: 'has space',
      OUTBOX_BATCH_SIZE: 'many',
      OUTBOX_POLL_INTERVAL_MS: '-5',
      OUTBOX_MAX_ATTEMPTS: '0',
      OUTBOX_RELAY_ENABLED: 'sometimes',
    })

    expect(problems.map((p) => p.split('=')[0]).sort()).toEqual([
      'KAFKA_TOPIC_PARTITIONS',
      'KAFKA_TOPIC_PREFIX',
      'OUTBOX_BATCH_SIZE',
      'OUTBOX_MAX_ATTEMPTS',
      'OUTBOX_POLL_INTERVAL_MS',
      'OUTBOX_RELAY_ENABLED',
    ])
  })
})
