# syntax=docker/dockerfile:1
#
# otelcol-backbone container image: the collector distribution built with ocb (pinned in
# tools/go.mod), on an empty base image like the official collector images, running as a
# non-root user.
#
#   docker build -t otelcol-backbone:0.1.0 .
#   docker run --rm \
#     -e JIRA_URL=https://jira.example.com -e JIRA_TOKEN=... \
#     -e BACKBONE_DIRECTORY=/backbone -v /srv/jira-shared/data/backbone-issue-sync:/backbone:ro \
#     -e OTLP_ENDPOINT=https://otlp.example.com:4318 \
#     -v otelcol-backbone-state:/var/lib/otelcol-backbone \
#     otelcol-backbone:0.1.0
#
# The default configuration is packaging/config.yaml (the one the .deb and .rpm install), read
# from the environment; replace it by mounting a file over /etc/otelcol-backbone/config.yaml.
# Nothing is exposed: every listener (health_check on 13133, the collector's own metrics on
# 8888) binds 127.0.0.1 unless HEALTH_CHECK_ENDPOINT / OTELCOL_TELEMETRY_HOST say otherwise
# (e.g. 0.0.0.0:13133 for a probe from outside the container). See docs/install.md.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
# builder-config-full.yaml builds the full distribution (file_log receiver, k8s_leader_elector
# for examples/kubernetes); its binary becomes /otelcol-backbone all the same.
ARG BUILDER_CONFIG=builder-config.yaml
WORKDIR /src
ENV GOTOOLCHAIN=local CGO_ENABLED=0
COPY . .
# ocb generates the distribution's sources in dist/<name> and builds a static, stripped binary
# there; otelcol-backbone-statecheck, the entry point, is built beside it.
RUN --mount=type=cache,target=/go/pkg/mod \
	--mount=type=cache,target=/root/.cache/go-build \
	BUILDER_CONFIG=${BUILDER_CONFIG} ./scripts/build-dist.sh \
	&& mkdir -p /out \
	&& go build -trimpath -ldflags='-s -w' -o /out/otelcol-backbone-statecheck ./cmd/otelcol-backbone-statecheck
# The files of the final image, with the user it runs as (uid/gid 10001, as the official
# collector images) and its state directory.
RUN mkdir -p /out/etc/otelcol-backbone /out/var/lib/otelcol-backbone \
	&& name=$(sed -n 's/^  name: *//p' "${BUILDER_CONFIG}" | head -n1) \
	&& cp "dist/${name}/${name}" /out/otelcol-backbone \
	&& cp packaging/config.yaml /out/etc/otelcol-backbone/config.yaml \
	&& echo 'otelcol-backbone:x:10001:10001:otelcol-backbone:/var/lib/otelcol-backbone:/sbin/nologin' >/out/etc/passwd \
	&& echo 'otelcol-backbone:x:10001:' >/out/etc/group

FROM scratch
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="otelcol-backbone" \
	org.opencontainers.image.description="OpenTelemetry Collector for Backbone Issue Sync (Jira)" \
	org.opencontainers.image.version="${VERSION}"
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/etc/passwd /out/etc/group /etc/
COPY --from=build /out/otelcol-backbone /otelcol-backbone
COPY --from=build /out/otelcol-backbone-statecheck /otelcol-backbone-statecheck
COPY --from=build /out/etc/otelcol-backbone/config.yaml /etc/otelcol-backbone/config.yaml
COPY --from=build --chown=10001:10001 /out/var/lib/otelcol-backbone /var/lib/otelcol-backbone
USER 10001:10001
# file_storage: the receiver's event state and the exporter's sending queue. Mount a volume
# here to keep them across container restarts.
VOLUME ["/var/lib/otelcol-backbone"]
# otelcol-backbone-statecheck checks the state files in the volume (OTELCOL_STORAGE_DIR, else
# /var/lib/otelcol-backbone) and moves a damaged one aside, then becomes the collector (exec:
# same process, same signals); without it, a damaged file makes the collector panic at every
# start. The arguments (CMD) go to the collector.
ENTRYPOINT ["/otelcol-backbone-statecheck", "--", "/otelcol-backbone"]
CMD ["--config=/etc/otelcol-backbone/config.yaml"]
