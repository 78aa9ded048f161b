# syntax=docker/dockerfile:1
# canhbao's container image: a static binary on distroless, non-root, no
# shell. The time zone database (time/tzdata) and the summary chart's fonts
# are compiled into the binary; the base image brings CA certificates.
#
#   docker build --build-arg VERSION=$(git describe --always --dirty) -t canhbao .
#   docker run -d --name canhbao -v canhbao-data:/data -e TELEGRAM_BOT_TOKEN=... \
#     -p 127.0.0.1:8080:8080 canhbao
#
# See docs/deploy.md (and compose.yaml for a trial cluster).

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
	-o /out/canhbao ./cmd/canhbao \
	&& mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/canhbao /usr/local/bin/canhbao
# The volume's mount point, owned by the image's user (nonroot, 65532) so
# that a new named volume is writable.
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
WORKDIR /data
# The database (on an etcd node: the node's local copy) and its control
# socket in the volume; the dashboard, /healthz and /readyz on every
# interface of the container: publish the port on a local address only.
ENV CANHBAO_DB=/data/canhbao.db \
	CANHBAO_HTTP_ADDR=:8080
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/canhbao"]
CMD ["run"]
