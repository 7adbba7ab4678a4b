#!/bin/sh
echo "$GREETING, ${1:-stranger}!"
cat /srv/site/index.txt
