# foureyes: a static binary on a distroless base, run as a non-root user, no shell.
#
#   docker build -t foureyes .
#   docker compose -f deploy/compose.yaml up      # with PostgreSQL, see README
#
# Build stage: the module's own Go version; CGO off gives a static binary (the SQLite
# driver is pure Go).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/foureyes ./cmd/foureyes \
 && mkdir -p /out/data

# Run stage: distroless/static has no shell and no package manager; "nonroot" is uid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/foureyes /usr/local/bin/foureyes
# /data holds what the server writes (setup credentials, the signing key when none is
# mounted, a SQLite file when no PostgreSQL is configured); mount a volume there.
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /data
USER 65532:65532
ENV FOUREYES_SERVER_ADDRESS=0.0.0.0 \
    FOUREYES_SERVER_PORT=8080 \
    FOUREYES_GITHUB_CREDENTIALS_FILE=/data/foureyes-credentials.yml
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/foureyes"]
CMD ["serve"]
