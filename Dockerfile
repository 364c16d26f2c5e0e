# A container holding one compiled binary (SPEC §1): migrations and Swagger UI assets are embedded in it.
FROM oven/bun:1.4.5 AS build
WORKDIR /app
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile
COPY . .
RUN bun run typecheck && bun run build && mkdir -p /data/uploads

FROM gcr.io/distroless/base-debian12:nonroot
ARG GIT_COMMIT=unknown
WORKDIR /app
COPY --from=build /app/dist/marketplace /app/marketplace
COPY --from=build --chown=nonroot:nonroot /data /data
ENV PORT=8080 \
    DATABASE_URL=file:/data/marketplace.db \
    UPLOAD_DIR=/data/uploads \
    GIT_COMMIT=${GIT_COMMIT}
VOLUME ["/data"]
EXPOSE 8080
USER nonroot
ENTRYPOINT ["/app/marketplace"]
