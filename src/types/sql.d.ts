// Migration files imported `with { type: 'text' }` (db/migrations/embedded.ts) are strings.
declare module '*.sql' {
  const text: string
  export default text
}
