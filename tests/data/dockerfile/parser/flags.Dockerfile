FROM --platform=linux/amd64 busybox AS build
COPY --from=build --chown=1:2 --chmod=0644 a b /dst/
ADD --checksum=sha256:abc --keep-git-dir=true http://example.com/x /x
COPY --parents --link a/./b /c/
RUN --mount=type=cache,target=/root/.cache --network=none echo hi
HEALTHCHECK --interval=5s --retries=3 CMD curl -f http://localhost/
HEALTHCHECK NONE
