FROM busybox
RUN echo a \

    b \
    # comment

    c
