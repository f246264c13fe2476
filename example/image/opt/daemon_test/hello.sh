#!/usr/bin/env bash
# The daemon of the story: writes the date every second.
filename=$1
while true; do
  sleep 1
  date >> /opt/daemon_test/${filename}.log
done
