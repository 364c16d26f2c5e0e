import { describe, expect, test } from 'bun:test'
import { expectProblem, useTestApp } from '../support/harness'

const { t } = useTestApp()

describe('smoke', () => {
  test('demo product 1 is the Laptop', async () => {
    const res = await t.request('GET', '/api/v1/products/1')
    expect(res.status, res.text).toBe(200)
    expect(res.body.name).toBe('Laptop')
  })
  test('unknown route is a 404 problem', async () => {
    expectProblem(await t.request('GET', '/nope'), 404, 'NOT_FOUND')
  })
  test('tokens for every persona', async () => {
    const tokens = await t.tokens()
    expect(Object.keys(tokens)).toHaveLength(5)
  })
})
