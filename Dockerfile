# syntax=docker/dockerfile:1
# Container image of the confluence-connector service.
#
#   docker build -t confluence-connector:dev .
#   docker run --rm --read-only -v cc-cache:/var/cache/confluence-connector \
#     -v "$PWD/tenant-configs:/app/tenant-configs:ro" confluence-connector:dev validate
#
# The first-party plugins (confluence-cloud, confluence-data-center) are compiled into the binary,
# so the runtime image holds one executable. See docs/deployment.md.

ARG RUST_VERSION=1.95

# --- build: the host binary and, through the plugin-artifacts build script, the Wasm plugins ---
# bookworm: the same Debian (and glibc) as the distroless runtime below.
FROM rust:${RUST_VERSION}-bookworm AS build
RUN rustup target add wasm32-wasip2
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p confluence-connector \
 && install -D -m 0755 target/release/confluence-connector /out/bin/confluence-connector \
 && install -d /out/app/tenant-configs /out/app/plugins /out/cache

# --- health-check client: a static busybox used only as `wget` (distroless has no shell or curl) ---
FROM busybox:1.37-musl AS healthcheck

# --- runtime: glibc + CA certificates, no shell, no package manager ---
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/bin/confluence-connector /usr/local/bin/confluence-connector
COPY --from=build /out/app/ /app/
COPY --from=build --chown=1000:1000 /out/cache/ /var/cache/confluence-connector/
COPY --from=healthcheck /bin/busybox /usr/local/bin/wget

# The nonroot tag's user is 65532; uid/gid 1000 match the chart's runAsUser/runAsGroup and the
# previous image's `node` user.
USER 1000:1000
WORKDIR /app

ENV TENANT_CONFIG_PATH_PATTERN=/app/tenant-configs/*-tenant-config.yaml \
    PLUGIN_DIR=/app/plugins \
    PLUGIN_CACHE_DIR=/var/cache/confluence-connector \
    PORT=51349 \
    OTEL_EXPORTER_PROMETHEUS_PORT=51350

# Compiled-plugin cache: the one path the service writes. Mount a volume here when the root
# filesystem is read-only (the chart mounts an emptyDir).
VOLUME ["/var/cache/confluence-connector"]

# 51349: /probe and /health. 51350: /metrics.
EXPOSE 51349 51350

# Kubernetes ignores HEALTHCHECK (the chart uses probes); it serves `docker run` and Compose.
# It assumes the default PORT.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["/usr/local/bin/wget", "-q", "-O", "/dev/null", "http://127.0.0.1:51349/probe"]

ENTRYPOINT ["/usr/local/bin/confluence-connector"]
CMD ["run"]
