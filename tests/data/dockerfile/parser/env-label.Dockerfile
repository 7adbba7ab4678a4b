FROM busybox
ENV A=1 B="two words" C='single' D=a\ b
ENV LEGACY value with spaces
LABEL one=1 "two"="2" three="a \"quoted\" word"
LABEL multi=line \
      other=value
ARG NAME
ARG WITH=default OTHER
