FROM busybox
RUN echo a\\
RUN echo b
RUN echo c \\\
RUN echo d
RUN echo e \
echo f
ENV K=x\\
ENV L=y
