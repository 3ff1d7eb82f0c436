# Fencun: what `npm start` runs (node --require tsx/cjs src/main.ts) plus the built sidebar and
# console (sidebar/dist). Multi-stage: the sidebar is built with the dev dependencies (Vite, Vue),
# the runtime gets `npm ci --omit=dev` only, and runs as an unprivileged user.
#
#   docker build -t fencun .
#   docker compose up          (docker-compose.yml: two instances and MySQL 8)

# ---- the sidebar and console pages (needs the dev dependencies)
FROM node:20-bookworm-slim AS sidebar
WORKDIR /app
# better-sqlite3 compiles when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY sidebar ./sidebar
COPY src ./src
RUN npm run build:sidebar

# ---- runtime dependencies only (tsx runs the TypeScript sources; it is a runtime dependency)
FROM node:20-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

# ---- the image
FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --chown=root:root package.json package-lock.json tsconfig.json ./
COPY --chown=root:root bin ./bin
COPY --chown=root:root config ./config
COPY --chown=root:root src ./src
# dist only: with no sidebar/src beside it, Fencun serves it as built and never rebuilds.
COPY --from=sidebar --chown=root:root /app/sidebar/dist ./sidebar/dist
# The code is root-owned and read-only to the process; only /app/data (SQLite, if used) is writable.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# SIGTERM: every loop stops claiming, in-flight sends finish, exit within 25 s (src/main.ts).
STOPSIGNAL SIGTERM
CMD ["node", "--require", "tsx/cjs", "src/main.ts"]
