# The container of the single compiled binary (SPEC §1, docs/deploy.md): migrations, Swagger UI's assets and
# libSQL's native module are embedded in it (scripts/build.ts); the native module is written to TMPDIR (/tmp) at
# start and loaded from there. The runtime image has no shell and no curl: the HEALTHCHECK runs the binary's own
# `healthcheck` command, which asks the local server's readiness.
#
# Build: docker build --build-arg GIT_COMMIT=$(git rev-parse --short HEAD) -t marketplace .
# Bases: the build stage is Debian (glibc) so the binary and its native module match the runtime's C library;
# the runtime is distroless "cc" (glibc plus libgcc_s, which libSQL's module links), pinned by digest.

FROM oven/bun:1.4.5-debian AS build
WORKDIR /app
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile
COPY . .
# no typecheck here: CI (.ci/run) checks the whole repository, tests, labs and k6 included; the image only builds
RUN bun run build && mkdir -p /data/uploads

FROM gcr.io/distroless/cc-debian12:nonroot@sha256:9dac0a79194e45a7da0158a9c6da57b217585af0786db3845d1f0ec1a0dd182f
ARG VERSION=0.1.0
ARG GIT_COMMIT=unknown
LABEL org.opencontainers.image.title="marketplace" \
      org.opencontainers.image.description="High-traffic marketplace backend (Bun, Elysia, libSQL, Redis, Kafka) as one binary" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${GIT_COMMIT}"
WORKDIR /app
COPY --from=build /app/dist/marketplace /app/marketplace
COPY --from=build --chown=65532:65532 /data /data
ENV PORT=8080 \
    HOST=0.0.0.0 \
    DATABASE_URL=file:/data/marketplace.db \
    UPLOAD_DIR=/data/uploads \
    TMPDIR=/tmp \
    GIT_COMMIT=${GIT_COMMIT}
VOLUME ["/data"]
EXPOSE 8080
# distroless's nonroot user, by number (a runtime that checks runAsNonRoot cannot resolve names)
USER 65532:65532
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["/app/marketplace", "healthcheck"]
ENTRYPOINT ["/app/marketplace"]
CMD ["serve"]
