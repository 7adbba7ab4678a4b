FROM busybox
RUN <<EOF
echo hello
echo world
EOF
RUN <<-"TAB" cat > /f
	tabbed $HOME
	TAB
COPY <<one <<two /dst/
first
one
second
two
