# syntax=docker/dockerfile:1
#
# Redress in a container: `docker build -t redress .` (BuildKit, the default builder of
# current Docker, is needed for the cache mounts), then for instance
#   docker run --rm -p 8080:8080 -v redress-data:/var/lib/redress redress serve --demo
# (SQLite under the volume), or see docker-compose.yml for PostgreSQL and a mail catcher.
#
# Everything the server needs at run time is compiled into the binary: the HTML and email
# templates (include_str!), static/ (CSS, JavaScript, openapi.json), the Fluent translations
# (fluent-templates static_loader!) and both sets of migrations (sqlx::migrate!). The runtime
# image therefore holds only the binary.

# The toolchain the project is developed and tested with (Rust 1.95). The code needs at least
# 1.88 (edition 2024 `if let ... &&` chains), as rust-version in Cargo.toml says.
# The builder must be Debian bookworm like the runtime image, so the binary's glibc matches.
ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-bookworm AS builder
WORKDIR /src
COPY . .
# The cargo registry and target/ live in BuildKit cache mounts, so a rebuild after a code
# change recompiles only the workspace crates. A cache mount is not part of the image: the
# binary is copied out of target/ in the same step.
RUN --mount=type=cache,id=redress-cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,id=redress-cargo-git,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,id=redress-target,target=/src/target,sharing=locked \
    cargo build --release --locked -p redress \
 && install -D -m 0755 target/release/redress /out/redress

FROM debian:bookworm-slim AS runtime
# ca-certificates: SMTP over TLS and PostgreSQL with TLS to servers with public certificates.
# No tini: redress is the only process (it starts no children) and handles SIGTERM itself
# (graceful stop: finishes requests in flight, stops the workers at a checkpoint, exits 0).
# bash (part of every Debian image) is what the compose health checks use; there is no curl.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 redress \
 && useradd --system --uid 10001 --gid redress --home-dir /var/lib/redress \
        --no-create-home --shell /usr/sbin/nologin redress \
 && install -d -o redress -g redress -m 0750 /var/lib/redress /var/lib/redress/data
COPY --from=builder /out/redress /usr/local/bin/redress

USER 10001:10001
# The working directory holds what the relative defaults point at: the SQLite database
# (REDRESS_DATABASE_URL=sqlite://data/redress.db) and the .eml files written when no SMTP
# server is set (REDRESS_MAIL_DIR=data/mail). Mount a volume here to keep them; with
# PostgreSQL and SMTP configured nothing is written here.
WORKDIR /var/lib/redress
# The default (127.0.0.1:8080) would be unreachable from outside the container.
ENV REDRESS_BIND=0.0.0.0:8080
EXPOSE 8080
# SIGTERM is a graceful stop (SIGINT and SIGQUIT are actix-web's forced stop).
STOPSIGNAL SIGTERM
# No HEALTHCHECK here: the image has no HTTP client, and the port follows REDRESS_BIND.
# docker-compose.yml checks GET /healthz with bash's /dev/tcp instead.
ENTRYPOINT ["/usr/local/bin/redress"]
CMD ["serve"]
