# The stand-in Envoy image used by the e2e tests and by `make dev` offline:
# envoy-hot-restarter as PID 1 running the stand-in (named envoy) on
# /etc/envoy/envoy.yaml. Built FROM scratch from static binaries: nothing
# is pulled. Build context: a directory holding both binaries.
FROM scratch
COPY envoy-hot-restarter envoy /usr/local/bin/
EXPOSE 9901 10000
ENTRYPOINT ["/usr/local/bin/envoy-hot-restarter", "--on-child-failure=keep", "--"]
CMD ["/usr/local/bin/envoy", "-c", "/etc/envoy/envoy.yaml", "--restart-epoch", "{{epoch}}", "--drain-time-s", "5", "--parent-shutdown-time-s", "10"]
