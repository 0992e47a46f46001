# The authd image: the static binary that `make image` builds on the host
# (CGO_ENABLED=0), on an empty base. No registry is needed: scratch is built
# in. scripts/image.sh prepares the build context (authd, CA certificates,
# an empty data directory) and runs `docker build` on it.
FROM scratch
COPY authd /authd
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
# /data belongs to the unprivileged user the process runs as (no name needed).
COPY --chown=65532:65532 data /data
USER 65532:65532
ENV AUTH_DATA_DIR=/data \
    AUTH_HTTP_ADDR=:3000
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 CMD ["/authd", "healthcheck"]
ENTRYPOINT ["/authd"]
CMD ["serve"]
