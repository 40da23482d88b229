# Multi-stage: build with dev dependencies, run with production ones only, as a non-root user.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
# The node only: the client package (clients/) is not part of the image.
RUN npm run build:node

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=optional leaves out embedded-postgres and its PostgreSQL binaries (~58 MB): a
# container always has DATABASE_URL (docker-compose.yml, deploy/k8s), and without it the
# node stops at start with "no embedded PostgreSQL ...; set DATABASE_URL". It also leaves
# out the Express adapter, an optional peer of @nestjs/core that this Fastify app never loads.
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 8000
# In containers, point DATABASE_URL at a PostgreSQL server (see docker-compose.yml);
# the embedded server is for running a node with nothing but Node installed (npm ci
# installs optional dependencies, so `npm ci && npm start` still gets it).
CMD ["node", "dist/main.js"]
