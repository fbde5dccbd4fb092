# syntax=docker/dockerfile:1
# Every Fizz image from one multi-stage build of the workspace. Pick one with --target:
#   docker build --target router -t fizz/router .
# Service targets: controller executor storage builder recorder router timer mqtrigger canary
# Runtime targets: runtime-nodejs runtime-python
# Sidecar target: fetcher (next to the runtime in every Kubernetes runtime pod)
# Dev target (Tilt): the whole compiled workspace, for live_update + in-container tsc.
# Every target runs as uid 1000; probes are the Kubernetes manifests' (deploy/kubernetes).
ARG NODE_IMAGE=node:20-slim
ARG PYTHON_IMAGE=python:3.12-slim

# ---- build: install and compile the workspace once ---------------------------------------
FROM ${NODE_IMAGE} AS build
ENV CI=true PNPM_HOME=/home/node/.pnpm
RUN npm i -g pnpm@12 && mkdir /src && chown node:node /src
USER node
WORKDIR /src
# Dependencies first: a source change does not refetch them.
COPY --chown=node:node pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch
COPY --chown=node:node . .
RUN pnpm install --frozen-lockfile --offline && pnpm build
# One self-contained directory per image: the package, its dist and its production node_modules.
RUN for p in controller executor storage builder recorder router timer mqtrigger canary; do \
      pnpm --filter "@fizz/$p" deploy --prod "/home/node/out/$p" || exit 1; \
    done

# ---- dev: what Tilt runs; live_update syncs src and re-runs tsc in here ------------------
FROM build AS dev
ENV FIZZ_STATE_DIR=/var/lib/fizz
USER root
RUN mkdir -p /var/lib/fizz && chown node:node /var/lib/fizz
USER 1000:1000
CMD ["node", "services/router/dist/main.js"]

# ---- service: the base of every service image ---------------------------------------------
FROM ${NODE_IMAGE} AS service
# tini reaps the builder's and executor's grandchildren and forwards SIGTERM to node.
RUN apt-get update && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/fizz && chown 1000:1000 /var/lib/fizz
ENV NODE_ENV=production FIZZ_STATE_DIR=/var/lib/fizz
WORKDIR /app
USER 1000:1000
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/main.js"]

FROM service AS controller
COPY --from=build /home/node/out/controller /app
EXPOSE 9090

FROM service AS executor
COPY --from=build /home/node/out/executor /app
EXPOSE 9091

FROM service AS storage
COPY --from=build /home/node/out/storage /app
EXPOSE 9092

FROM service AS builder
# Builds run here: npm comes with node; Python packages are built with pip.
USER root
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-pip \
 && rm -rf /var/lib/apt/lists/*
USER 1000:1000
COPY --from=build /home/node/out/builder /app
EXPOSE 9093

FROM service AS recorder
COPY --from=build /home/node/out/recorder /app
EXPOSE 9094
# NODE_ARGS.recorder in libs/common/src/ports.ts (why: see there).
CMD ["node", "--initial-heap-size=128", "dist/main.js"]

FROM service AS router
COPY --from=build /home/node/out/router /app
EXPOSE 8888
# NODE_ARGS.router in libs/common/src/ports.ts (why: see there).
CMD ["node", "--initial-heap-size=128", "dist/main.js"]

FROM service AS timer
COPY --from=build /home/node/out/timer /app
EXPOSE 9095

FROM service AS mqtrigger
COPY --from=build /home/node/out/mqtrigger /app
EXPOSE 9096

FROM service AS canary
COPY --from=build /home/node/out/canary /app
EXPOSE 9097

# ---- runtimes: the generic pods the executor keeps warm and specializes ---------------------
# The Node.js runtime has no dependencies: it compiles on its own, so a change elsewhere in the
# workspace does not rebuild it (Tilt scopes its build context to these files).
FROM ${NODE_IMAGE} AS runtime-nodejs-build
WORKDIR /src
RUN npm i --no-save --no-package-lock typescript@~6.0.0 @types/node@^20.19.0
COPY tsconfig.base.json ./
COPY runtimes/nodejs/package.json runtimes/nodejs/tsconfig.json ./runtimes/nodejs/
COPY runtimes/nodejs/src ./runtimes/nodejs/src
RUN npx tsc -b runtimes/nodejs

FROM service AS runtime-nodejs
USER root
RUN mkdir /userfunc && chown 1000:1000 /userfunc
USER 1000:1000
ENV HOST=0.0.0.0 PORT=8888 FIZZ_USERFUNC_DIR=/userfunc
COPY runtimes/nodejs/package.json /app/package.json
COPY runtimes/nodejs/prewarm /app/prewarm
COPY --from=runtime-nodejs-build /src/runtimes/nodejs/dist /app/dist
EXPOSE 8888

FROM ${PYTHON_IMAGE} AS runtime-python
RUN mkdir /userfunc && chown 1000:1000 /userfunc
ENV HOST=0.0.0.0 PORT=8888 FIZZ_USERFUNC_DIR=/userfunc PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
COPY runtimes/python/fizz_runtime /app/fizz_runtime
COPY runtimes/python/main.py /app/main.py
USER 1000:1000
EXPOSE 8888
CMD ["python3", "main.py"]

# ---- fetcher: the sidecar that downloads a pod's code into /userfunc and specializes it --------
# The executor's package, another entry point (services/executor/src/fetcher).
FROM service AS fetcher
USER root
RUN mkdir /userfunc && chown 1000:1000 /userfunc
USER 1000:1000
ENV HOST=0.0.0.0 FIZZ_FETCHER_PORT=8000 FIZZ_USERFUNC_DIR=/userfunc
COPY --from=build /home/node/out/executor /app
EXPOSE 8000
CMD ["node", "dist/fetcher/main.js"]
