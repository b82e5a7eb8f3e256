# Multi-stage: install and build with dev tools, then a runtime image with production
# dependencies only. The server runs as compiled JavaScript (server/dist, built by
# server/scripts/build.mjs): no TypeScript loader and no dev dependency at run time.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY client-sdk/package.json client-sdk/
COPY server/package.json server/
COPY widgets/package.json widgets/
RUN npm ci --no-audit --no-fund

FROM deps AS build
COPY . .
RUN npm run build --workspaces --if-present

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production PORT=8080
WORKDIR /app
COPY package.json package-lock.json ./
COPY client-sdk/package.json client-sdk/
COPY server/package.json server/
COPY widgets/package.json widgets/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/client-sdk client-sdk
COPY --from=build /app/server server
COPY --from=build /app/widgets widgets
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "server/dist/main.js"]
