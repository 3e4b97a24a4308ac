# nginx for docker-compose.yml / stack.yml where no registry is reachable
# (scripts/test-containers.sh); with one, `nginx:stable` does the same job.
#   docker build -f examples/docker/nginx.Dockerfile -t drover-nginx examples/docker
ARG BASE=debian:bookworm-slim
FROM ${BASE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends -o Dpkg::Options::=--force-unsafe-io nginx-light \
    && rm -rf /var/lib/apt/lists/* \
    && ln -sf /dev/stderr /var/log/nginx/error.log
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
