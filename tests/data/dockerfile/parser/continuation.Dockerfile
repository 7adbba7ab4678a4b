FROM busybox
# a comment before an instruction
RUN echo one \
    two \
# a comment inside a continuation is dropped
    three

RUN echo four \

RUN echo "five \
six"
