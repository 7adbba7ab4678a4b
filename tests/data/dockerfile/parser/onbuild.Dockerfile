FROM busybox
ONBUILD RUN echo from the child
ONBUILD COPY --chown=1:1 . /app
maintainer someone <a@b.c>
