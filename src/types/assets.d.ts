// Files imported `with { type: 'file' }` resolve to a path Bun can open (embedded in compiled binaries).
declare module 'swagger-ui-dist/*' {
  const path: string
  export default path
}
