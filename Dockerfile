# monotube: one binary + its static web UI on Debian 12.
#   docker build -t monotube .
#   docker run -p 8080:8080 -v monotube-data:/data monotube
# Package lists come from scripts/deps.sh, the same ones scripts/setup.sh installs.

# RUN steps that need bash call it explicitly: SHELL is ignored by OCI-format builders
# such as buildah, which would run them in dash.
FROM debian:bookworm AS build
COPY scripts/deps.sh /tmp/deps.sh
RUN ["/bin/bash", "-o", "pipefail", "-c", ". /tmp/deps.sh && install_packages \"${BUILD_PACKAGES[@]}\" && rm -rf /var/lib/apt/lists/*"]
WORKDIR /src
COPY . .
# No ccache inside the image build: nothing would reuse the cache.
ENV CCACHE_DISABLE=1
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMONOTUBE_BUILD_TESTS=OFF \
      -DCMAKE_INSTALL_PREFIX=/usr/local \
 && cmake --build /build \
 && DESTDIR=/out cmake --install /build --strip \
 && /out/usr/local/bin/monotube version

FROM debian:bookworm-slim
COPY scripts/deps.sh /tmp/deps.sh
RUN ["/bin/bash", "-o", "pipefail", "-c", ". /tmp/deps.sh && install_packages \"${RUNTIME_PACKAGES[@]}\" && rm -rf /var/lib/apt/lists/* /tmp/deps.sh"]
RUN groupadd --system --gid 10001 monotube \
 && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin monotube \
 && mkdir -p /data \
 && chown monotube:monotube /data
COPY --from=build /out/usr/local/ /usr/local/
ENV MONOTUBE_LISTEN=0.0.0.0:8080 \
    MONOTUBE_DATA_DIR=/data \
    MONOTUBE_STATIC_DIR=/usr/local/share/monotube/static
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["monotube", "healthcheck"]
ENTRYPOINT ["monotube"]
CMD ["serve"]
