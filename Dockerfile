# segmentd in a container: built on Debian 12 from the same packages as the
# README, run as an unprivileged user. See docker-compose.yml.
FROM debian:12 AS build
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      build-essential cmake ninja-build git ca-certificates \
      libmysqlcppconn-dev libboost-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev \
      libssl-dev libsystemd-dev libhowardhinnant-date-dev nlohmann-json3-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSEGMENTD_BUILD_TESTS=OFF \
    && cmake --build /build \
    && DESTDIR=/staging cmake --install /build --prefix /usr

FROM debian:12-slim
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libmysqlcppconn7v5 libyaml-cpp0.7 libspdlog1.10 libfmt9 libssl3 libsystemd0 libdate-tz3 tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home-dir /var/lib/segmentd --create-home segmentd \
    && mkdir -p /var/lib/segmentd/inbox /var/lib/segmentd/exports \
    && chown -R segmentd:segmentd /var/lib/segmentd
COPY --from=build /staging/usr /usr
COPY config/docker.yaml /etc/segmentd/segmentd.yaml
USER segmentd
VOLUME ["/var/lib/segmentd/inbox", "/var/lib/segmentd/exports"]
# Schema first (idempotent), then the service; logs go to stderr.
CMD ["sh", "-c", "segmentd --config /etc/segmentd/segmentd.yaml migrate && exec segmentd --config /etc/segmentd/segmentd.yaml run"]
