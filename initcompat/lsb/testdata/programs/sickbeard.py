#!/usr/bin/env python3
# A stand-in for Sick Beard's SickBeard.py: with -d or --daemon it forks
# twice, as its daemonize() does; without, it stays.
import os, sys, time
if '-d' in sys.argv or '--daemon' in sys.argv:
    if os.fork():
        sys.exit(0)
    os.setsid()
    if os.fork():
        sys.exit(0)
p = os.environ.get('PIDFILE')
if p:
    open(p, 'w').write('%d\n' % os.getpid())
while True:
    time.sleep(3600)
