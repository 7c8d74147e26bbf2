# A Python 3.11 base built from a local Debian 12 image, for machines that cannot pull
# python:3.11-slim-bookworm (make deploy-test builds it on top of a debootstrapped Debian 12).
# Debian 12's python3 is 3.11, the version the lock and python:3.11-slim-bookworm use.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}

# Exact Debian package versions: a newer one needs a deliberate bump here (`apt-cache policy NAME`).
ARG PYTHON3_VERSION=3.11.2-1+b1
ARG PYTHON311_VERSION=3.11.2-6+deb12u9
ARG CA_CERTIFICATES_VERSION=20250419~deb12u2

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3=${PYTHON3_VERSION} python3-venv=${PYTHON3_VERSION} \
      python3.11=${PYTHON311_VERSION} python3.11-venv=${PYTHON311_VERSION} \
      ca-certificates=${CA_CERTIFICATES_VERSION} \
 && rm -rf /var/lib/apt/lists/*

CMD ["python3"]
