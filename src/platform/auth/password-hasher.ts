/**
 * Password hashing: argon2id through Bun.password, at OWASP's minimum for argon2id (19 MiB, 2 iterations; tens of
 * ms and 19 MiB per hash, the most expensive thing an anonymous caller can trigger). `verify` reads the algorithm
 * and cost from the stored hash, so raising the cost later keeps old hashes valid. Behind a small interface so a
 * test can count the hashes a request costs.
 */

export type PasswordHasher = {
  hash(password: string): Promise<string>
  verify(password: string, hash: string): Promise<boolean>
}

const ARGON2ID = { algorithm: 'argon2id', memoryCost: 19_456, timeCost: 2 } as const

export const argon2idHasher: PasswordHasher = {
  hash: (password) => Bun.password.hash(password, ARGON2ID),
  verify: (password, hash) => Bun.password.verify(password, hash),
}
