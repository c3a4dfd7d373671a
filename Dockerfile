# syntax=docker/dockerfile:1
# The ristretto container image: one static (musl) binary on distroless/static, which carries
# CA certificates (rustls reads the system store to reach AWS), /etc/passwd with the nonroot
# user, and nothing else: no shell, no package manager.
#
# The binaries are built beforehand, not here: release.yml puts the musl build for each
# platform in dist/docker/<arch>/ristretto (amd64, arm64), so a multi-platform build needs no
# emulation. By hand:
#   cp "$(bash scripts/dist.sh build x86_64-unknown-linux-musl)" dist/docker/amd64/
#   docker build --platform linux/amd64 -t ristretto .
#   docker run --rm -v "$PWD:/work" -w /work -e AWS_REGION ristretto plan
FROM gcr.io/distroless/static-debian12:nonroot

ARG TARGETARCH
COPY --chmod=0755 dist/docker/${TARGETARCH}/ristretto /usr/local/bin/ristretto

# distroless's nonroot user (65532), by number so that runtimes that check for a numeric
# non-root user accept the image without reading /etc/passwd.
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/ristretto"]
CMD ["--help"]
