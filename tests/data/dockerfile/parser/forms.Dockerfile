FROM busybox AS base
RUN ["echo", "json", "form"]
RUN [ "echo", "spaces" ]
RUN [echo, not json]
CMD ["a", "b\"c"]
ENTRYPOINT exec-me --flag
SHELL ["/bin/bash", "-c"]
VOLUME /a /b
VOLUME ["/c"]
EXPOSE 80 443/tcp
USER app:app
WORKDIR /some where
STOPSIGNAL SIGKILL
