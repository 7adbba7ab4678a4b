FROM busybox
RUN echo crlf \
    continued
ENV K=v
