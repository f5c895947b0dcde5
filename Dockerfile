# Multi-stage Debian 12 build of hunter and hunter-devnet; the runtime image runs as a non-root
# user. scripts/container.sh builds it with buildah and runs it (not in CI: it takes minutes).
FROM debian:12 AS build
WORKDIR /src
COPY scripts/setup-deps.sh scripts/setup-deps.sh
RUN scripts/setup-deps.sh --build && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
 && cmake --build build --target hunter hunter-devnet -j"$(nproc)"

FROM debian:12-slim
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends ca-certificates libsecp256k1-1 libsodium23 \
      libxxhash0 libsqlite3-0 libcurl4 libcpprest2.10 libfmt9 libspdlog1.10 libtomlplusplus3 \
      libssl3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 999 --home /var/lib/hunter --create-home --shell /usr/sbin/nologin hunter
COPY --from=build /src/build/src/cli/hunter /src/build/src/devnet/hunter-devnet /usr/local/bin/
COPY config/hunter.example.toml /etc/hunter/hunter.example.toml
USER hunter
WORKDIR /var/lib/hunter
ENV HUNTER_CONFIG=/etc/hunter/hunter.toml
ENTRYPOINT ["hunter"]
CMD ["run"]
